"""``camscan advisories`` and the risk options (issue 13). click only, over scanner.risk.

``--fail-on kev|high|any`` makes the exit status 4 when a device is *affected* by such a
finding (``possible`` ones never trip it, as for --policy); ``--firmware-age YEARS`` sets
when firmware counts as old (both options are in scanner.cli.options). ``camscan advisories``
lists the data with its date. The data ages: a file older than scanner.risk.STALE_DAYS draws
one warning line on stderr (scanner.cli.common.stale_warning).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from scanner.cli.common import stale_warning
from scanner.errors import UsageError
from scanner.recognize.fingerprints import default_root, load_database
from scanner.risk import AdvisoryData, load_advisories
from scanner.risk.advisories import Product


def _rows(data: AdvisoryData) -> list[dict[str, object]]:
    return [
        {
            "cve": item.cve,
            "makers": sorted(item.makers),
            "kev": item.kev,
            "kev_added": item.kev_added,
            "cvss": item.cvss,
            "cvss_source": item.cvss_source,
            "summary": item.summary,
            "url": item.url,
            "products": [
                {
                    "name": p.name,
                    "models": [m.pattern for m in p.models],
                    "first": p.first.text if p.first else None,
                    "last": p.last.text if p.last else None,
                    "fixed": p.fixed.text if p.fixed else None,
                    "all": p.every,
                }
                for p in item.products
            ],
            "sources": list(item.sources),
        }
        for item in data.advisories
    ]


def _table(data: AdvisoryData) -> str:
    lines = [
        f"advisory data of {data.date.isoformat()} ({data.path}); KEV rows checked against "
        f"the CISA catalogue {data.kev_catalog}",
        *(f"  also: {item}" for item in data.kev_later),
        f"{len(data.advisories)} advisories, {data.kev_count} in the KEV catalogue",
        "",
        f"{'CVE':<16} {'KEV added':<11} {'CVSS':>4}  {'makers':<16} summary",
    ]
    for item in data.advisories:
        added = item.kev_added or "-"
        makers = ", ".join(sorted(item.makers))
        lines.append(f"{item.cve:<16} {added:<11} {item.cvss:>4.1f}  {makers:<16} {item.summary}")
        for product in item.products:
            lines.append(f"{'':<16} {'':<11} {'':>4}  - {product.name}: {_range(product)}")
    lines += ["", "factory addresses: " + ", ".join(
        f"{row.maker} {row.address}" for row in data.factory
    )]
    return "\n".join(lines) + "\n"


def _range(product: Product) -> str:
    if product.every:
        return "every firmware (no fix)"
    parts = []
    if product.last is not None:
        start = f"{product.first.text} to " if product.first else "up to "
        parts.append(f"affected {start}{product.last.text}")
    if product.fixed is not None:
        parts.append(f"fixed from {product.fixed.text}")
    return "; ".join(parts)


@click.command("advisories")
@click.option("-f", "--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True, help="Output format.")
@click.option("--fingerprints", type=str, default=None, metavar="DIR",
              help="Read the advisory data in DIR instead of the one shipped with camscan.")
def advisories(fmt: str, fingerprints: str | None) -> None:
    """List the vulnerability advisories camscan checks devices against, with the data's date.

    The data (fingerprints/advisories.toml) is read offline; camscan never looks anything up
    over the network."""
    root = Path(fingerprints) if fingerprints else default_root()
    database = load_database(root)
    data = load_advisories(database.root, database.vocabulary)
    if not data.path.exists():
        raise UsageError(
            f"camscan: no advisory data in '{database.root}' (add an advisories.toml there, "
            "or leave out --fingerprints to use the data shipped with camscan)"
        )
    warning = stale_warning(data)
    if warning:
        click.echo(warning, err=True)
    if fmt == "json":
        document = {
            "date": data.date.isoformat(),
            "kev_catalog": data.kev_catalog,
            "kev_catalog_source": data.kev_catalog_source,
            "kev_later": list(data.kev_later),
            "advisories": _rows(data),
            "factory_addresses": [
                {"maker": r.maker, "address": r.address, "sources": list(r.sources)}
                for r in data.factory
            ],
        }
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(_table(data))
