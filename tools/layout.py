"""Measure how scanner/ is laid out and fail when it breaks the house rules (issue 11).

    python tools/layout.py                       # print the figures, exit 1 over a budget
    python tools/layout.py --max-module-lines 400 --max-room-cycles 0 ...

Figures, all read with `ast` (nothing is imported):
- module cycles: strongly connected sets of modules linked by runtime imports (imports under
  `if TYPE_CHECKING:` do not count); a package's `__init__` is a module;
- room cycles: the same over rooms, a room being `scanner.x` (a top-level module or package);
- private imports: `from scanner.m import _name` where `_name` is defined in another module;
- module lines: the longest module of scanner/;
- protocol homes: for each wire protocol, the files of scanner/ outside sim/ that *name* it in
  code, besides its own module (discovery/, probes/ or protocols/<module>.py) and its parser
  (parse/<module>.py). Naming it = a string literal equal to the name or starting with one of its
  field prefixes (`rtsp.server`), an import of a module of that name, or its probe class.
  Docstrings and comments do not count.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OWN_DIRS = ("discovery", "probes", "protocols")
JOIN = " <-> ".join


class Protocol:
    """How the code names one wire protocol, and which modules are its own."""

    def __init__(
        self, name: str, prefixes: str = "", classes: str = "", own: str = ""
    ) -> None:
        self.name = name
        self.prefixes = tuple(prefix + "." for prefix in (prefixes or name).split())
        self.classes = frozenset(classes.split())
        # the stems of the modules that are its own (protocol module, parser)
        self.own = frozenset({name, *own.split()})

    def named_by(self, kind: str, value: str) -> bool:
        """Whether one string literal, imported module or identifier names this protocol."""
        if kind == "string":
            short = len(value) < 40 and " " not in value
            return value == self.name or (short and value.startswith(self.prefixes))
        if kind == "module":
            return value.startswith("scanner.") and value.rsplit(".", 1)[-1] == self.name
        return value in self.classes


PROTOCOLS = (
    Protocol("wsd", classes="WsdProbe"),
    Protocol("onvif"),
    Protocol("ssdp", classes="SsdpProbe"),
    Protocol("upnp", own="ssdp"),
    Protocol("mdns", classes="MdnsProbe"),
    Protocol("sadp", classes="SadpProbe"),
    Protocol("dhip", classes="DhipProbe"),
    Protocol("ubnt", classes="UbntProbe"),
    Protocol("xm", classes="XmProbe"),
    Protocol("tdp", classes="TdpProbe"),
    Protocol("arp", prefixes="mac", classes="ArpProbe"),
    Protocol("http", classes="HttpProbe"),
    Protocol("https", own="http"),
    Protocol("tls", classes="TlsProbe"),
    Protocol("rtsp", classes="RtspProbe"),
    Protocol("ftp", own="banner"),
    Protocol("telnet", own="banner"),
    Protocol("banner", prefixes="tcp", classes="BannerProbe"),
    Protocol("isapi"),
    Protocol("magicbox", prefixes="dahua"),
    Protocol("dhcp"),
    Protocol("snmp"),
)


def modules(root: Path) -> dict[str, Path]:
    """Every module of scanner/ by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / "scanner").rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def owner(name: str, known: dict[str, Path]) -> str | None:
    """The module of scanner/ that an imported dotted name lives in."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def type_checking_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes under `if TYPE_CHECKING:` (imports there do not run)."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(inner) for inner in ast.walk(node))
    return ids


def imports(known: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """Runtime import edges between modules, and the private names imported across modules."""
    edges: dict[str, set[str]] = defaultdict(set)
    private: list[str] = []
    for name, path in known.items():
        tree = ast.parse(path.read_text())
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        skip = type_checking_nodes(tree)
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in known else base)
                    hidden = alias.name.startswith("_") and not alias.name.startswith("__")
                    if hidden and base.startswith("scanner"):
                        private.append(f"{name}: from {base} import {alias.name}")
            for target in targets:
                module = owner(target, known) if target.startswith("scanner") else None
                if module and module != name and id(node) not in skip:
                    edges[name].add(module)
    return edges, private


def cycles(graph: dict[str, set[str]], nodes: Iterable[str]) -> list[list[str]]:
    """Strongly connected sets of more than one node (Tarjan, iterative-safe depth here)."""
    sys.setrecursionlimit(10000)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def room(module: str) -> str:
    """`scanner.x.y` belongs to the room `scanner.x`."""
    return ".".join(module.split(".")[:2])


def docstrings(tree: ast.AST) -> set[int]:
    """Ids of the string constants that stand alone as statements (docstrings)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def names_in(tree: ast.AST) -> Iterable[tuple[str, str, int]]:
    """(kind, value, line) for every string literal, imported module and identifier in code."""
    skip = docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield "string", node.value, node.lineno
        elif isinstance(node, ast.Import):
            yield from (("module", alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            yield "module", base, node.lineno
            yield from (("module", f"{base}.{alias.name}", node.lineno) for alias in node.names)
        elif isinstance(node, ast.Name):
            yield "name", node.id, node.lineno


def homes(root: Path) -> dict[str, list[str]]:
    """Per protocol, the files besides its own module and parser that name it in code."""
    found: dict[str, set[str]] = {p.name: set() for p in PROTOCOLS}
    for path in sorted((root / "scanner").rglob("*.py")):
        rel = path.relative_to(root / "scanner")
        if rel.parts[0] == "sim":
            continue
        tree = ast.parse(path.read_text())
        for kind, value, _ in names_in(tree):
            for protocol in PROTOCOLS:
                own = rel.stem in protocol.own and rel.parts[0] in (*OWN_DIRS, "parse")
                if not own and protocol.named_by(kind, value):
                    found[protocol.name].add(str(rel))
    return {name: sorted(files) for name, files in found.items()}


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when one is over its budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--max-module-lines", type=int, default=400)
    parser.add_argument("--max-module-cycles", type=int, default=0)
    parser.add_argument("--max-room-cycles", type=int, default=0)
    parser.add_argument("--max-private", type=int, default=0)
    parser.add_argument("--max-homes", type=int, default=3)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the detail")
    args = parser.parse_args(argv)
    known = modules(args.root)
    edges, private = imports(known)
    module_cycles = cycles(edges, known)
    room_edges: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        room_edges[room(source)].update(room(t) for t in targets if room(t) != room(source))
    room_cycles = cycles(room_edges, {room(m) for m in known})
    lines = {name: len(path.read_text().splitlines()) for name, path in known.items()}
    longest = max(lines, key=lines.__getitem__)
    protocol_homes = homes(args.root)
    widest = max(protocol_homes, key=lambda name: len(protocol_homes[name]))
    figures = [
        ("module cycles", len(module_cycles), args.max_module_cycles, [*map(JOIN, module_cycles)]),
        ("room cycles", len(room_cycles), args.max_room_cycles, [*map(JOIN, room_cycles)]),
        ("private imports", len(private), args.max_private, private),
        (f"module lines ({longest})", lines[longest], args.max_module_lines,
         [f"{lines[m]} {m}" for m in sorted(lines, key=lines.__getitem__)[-5:]]),
        (f"protocol homes ({widest})", len(protocol_homes[widest]), args.max_homes,
         [f"{name} ({len(files)}): {' '.join(files)}" for name, files in protocol_homes.items()]),
    ]
    failed = False
    for label, value, budget, detail in figures:
        over = value > budget
        failed |= over
        print(f"{label}: {value} (budget {budget}){'  OVER' if over else ''}")
        if args.verbose or over:
            print("".join(f"    {line}\n" for line in detail), end="")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
