"""The advisory data (fingerprints/advisories.toml): loaded, checked, and matched to a device.

Loading checks what a data author can get wrong (a bad regex, a firmware bound camscan cannot
read, a maker not in the vocabulary, a missing source), so a broken file is a one-line usage
error naming the file and the row, never a crash mid-scan.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scanner.errors import UsageError
from scanner.risk.firmware import Firmware, compare, parse_firmware

if TYPE_CHECKING:  # scanner.recognize imports this package: no import cycle at run time
    from scanner.recognize.vocabulary import Vocabulary

FILE = "advisories.toml"
Status = Literal["affected", "possible"]


@dataclass(frozen=True, slots=True)
class Product:
    """One product line of an advisory and its firmware range."""

    name: str
    models: tuple[re.Pattern[str], ...]
    first: Firmware | None
    last: Firmware | None
    fixed: Firmware | None
    every: bool
    """Every firmware is affected (end of life, no fix)."""
    series: re.Pattern[str] | None
    """The firmware line the bounds belong to (matched at the start of the firmware text);
    firmware of another line is outside this entry. None: every line."""

    def matches(self, model: str) -> bool:
        return any(pattern.fullmatch(model.strip()) for pattern in self.models)

    def judge(self, firmware: Firmware | None) -> tuple[Status, str] | None:
        """(status, why) for one firmware, or None when it is outside the range."""
        if firmware is None:
            return "possible", "its firmware was not seen"
        if self.every:
            return "affected", "every firmware of this line is affected (no fix published)"
        if self.series is not None and not self.series.match(firmware.text):
            return None  # another firmware line: this entry says nothing about it
        if self.first is not None:
            order = compare(firmware, self.first)
            if order is None:
                first = self.first.text
                return "possible", f"it cannot be placed against the first affected {first}"
            if order < 0:
                return None
        if self.fixed is not None:
            order = compare(firmware, self.fixed)
            if order is not None and order >= 0:
                return None
        if self.last is not None:
            order = compare(firmware, self.last)
            if order is not None and order <= 0:
                return "affected", self._range()
            if order is None:
                return "possible", f"it cannot be placed against the last affected {self.last.text}"
            return "possible", (
                f"it is later than the last affected {self.last.text} but the source names "
                + (f"{self.fixed.text} as the first fix" if self.fixed else "no fix")
            )
        if self.fixed is not None and compare(firmware, self.fixed) is None:
            return "possible", f"it cannot be placed against the first fixed {self.fixed.text}"
        return "affected", self._range()

    def _range(self) -> str:
        start = f"from {self.first.text} " if self.first else ""
        if self.last is not None:
            return f"inside the affected range {start}to {self.last.text}".replace("  ", " ")
        assert self.fixed is not None
        return f"inside the affected range {start}before {self.fixed.text}"


@dataclass(frozen=True, slots=True)
class Advisory:
    cve: str
    makers: frozenset[str]
    kev: bool
    kev_added: str | None
    cvss: float
    cvss_source: str
    summary: str
    url: str
    sources: tuple[str, ...]
    products: tuple[Product, ...]


@dataclass(frozen=True, slots=True)
class FactoryAddress:
    maker: str
    address: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AdvisoryData:
    """Everything advisories.toml holds."""

    date: dt.date
    kev_catalog: str
    kev_catalog_source: str
    kev_later: tuple[str, ...]
    advisories: tuple[Advisory, ...]
    factory: tuple[FactoryAddress, ...]
    path: Path

    @staticmethod
    def empty(path: Path) -> AdvisoryData:
        return AdvisoryData(dt.date.min, "", "", (), (), (), path)

    @property
    def kev_count(self) -> int:
        return sum(1 for item in self.advisories if item.kev)

    def age_days(self, today: dt.date) -> int:
        return (today - self.date).days


class _Row:
    """Reads one table of the file, naming the file and the row in every error."""

    def __init__(self, path: Path, where: str, table: Mapping[str, Any]) -> None:
        self.path, self.where, self.table = path, where, table

    def fail(self, problem: str) -> UsageError:
        return UsageError(
            f"camscan: {self.path}: {self.where}: {problem} (fix the row; see the file's header)"
        )

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(f"'{key}' must be a non-empty string")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(f"'{key}' must be a non-empty list of strings")
        return tuple(value)

    def firmware(self, key: str) -> Firmware | None:
        value = self.table.get(key)
        if value is None:
            return None
        parsed = parse_firmware(value) if isinstance(value, str) else None
        if parsed is None:
            raise self.fail(f"'{key}' = {value!r} is no firmware version or build date")
        return parsed


def _date(row: _Row, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(row.text(key))
    except ValueError:
        raise row.fail(f"'{key}' must be a date, YYYY-MM-DD") from None


def _product(row: _Row) -> Product:
    patterns = []
    for text in row.texts("models"):
        try:
            patterns.append(re.compile(text, re.IGNORECASE))
        except re.error as exc:
            raise row.fail(f"model pattern {text!r} is no regular expression: {exc}") from None
    every = row.table.get("all", False) is True
    first, last, fixed = row.firmware("first"), row.firmware("last"), row.firmware("fixed")
    if not every and last is None and fixed is None:
        raise row.fail("give 'last', 'fixed' or all = true")
    series = None
    if "series" in row.table:
        try:
            series = re.compile(row.text("series"), re.IGNORECASE)
        except re.error as exc:
            raise row.fail(f"'series' is no regular expression: {exc}") from None
    return Product(row.text("name"), tuple(patterns), first, last, fixed, every, series)


def _advisory(row: _Row, vocabulary: Vocabulary | None) -> Advisory:
    makers = row.texts("makers")
    if vocabulary is not None:
        for maker in makers:
            if vocabulary.canonical(maker) != maker:
                raise row.fail(f"maker {maker!r} is not a vocabulary.toml name")
    kev = row.table.get("kev", False) is True
    kev_added = _date(row, "kev_added").isoformat() if kev else None
    cvss = row.table.get("cvss")
    if not isinstance(cvss, int | float) or isinstance(cvss, bool) or not 0 <= cvss <= 10:
        raise row.fail("'cvss' must be a CVSS base score from 0 to 10")
    products = row.table.get("products")
    if not isinstance(products, list) or not products:
        raise row.fail("give at least one [[advisory.products]]")
    return Advisory(
        cve=row.text("cve"),
        makers=frozenset(makers),
        kev=kev,
        kev_added=kev_added,
        cvss=float(cvss),
        cvss_source=row.text("cvss_source"),
        summary=row.text("summary"),
        url=row.text("url"),
        sources=row.texts("sources"),
        products=tuple(
            _product(_Row(row.path, f"{row.where} products[{i}]", p))
            for i, p in enumerate(products)
            if isinstance(p, dict)
        ),
    )


def load_advisories(root: Path, vocabulary: Vocabulary | None = None) -> AdvisoryData:
    """Read ``root/advisories.toml``; a directory without one gives no advisories."""
    path = root / FILE
    if not path.exists():
        return AdvisoryData.empty(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"camscan: cannot read {path}: {exc} (fix or restore the file)") from exc
    top = _Row(path, "top", data)
    advisories = []
    seen: set[str] = set()
    for index, table in enumerate(data.get("advisory", [])):
        row = _Row(path, f"advisory[{index}]", table if isinstance(table, dict) else {})
        advisory = _advisory(row, vocabulary)
        if advisory.cve in seen:
            raise row.fail(f"{advisory.cve} appears twice")
        seen.add(advisory.cve)
        advisories.append(advisory)
    factory = []
    for index, table in enumerate(data.get("factory_address", [])):
        row = _Row(path, f"factory_address[{index}]", table if isinstance(table, dict) else {})
        factory.append(FactoryAddress(row.text("maker"), row.text("address"), row.texts("sources")))
    later = data.get("kev_later", [])
    return AdvisoryData(
        date=_date(top, "date"),
        kev_catalog=top.text("kev_catalog"),
        kev_catalog_source=top.text("kev_catalog_source"),
        kev_later=tuple(str(item) for item in later) if isinstance(later, list) else (),
        advisories=tuple(advisories),
        factory=tuple(factory),
        path=path,
    )


@dataclass(frozen=True, slots=True)
class Match:
    """One advisory that applies to one device."""

    advisory: Advisory
    product: Product
    status: Status
    why: str


def applies_to(advisory: Advisory, maker_names: Sequence[str]) -> bool:
    return any(name in advisory.makers for name in maker_names)


def match(
    advisory: Advisory, model: str, firmware: Firmware | None
) -> Match | None:
    """The advisory's verdict on a device of ``model`` running ``firmware`` (None: unknown).

    When several product lines of one advisory name the model, the firmest verdict wins:
    affected over possible."""
    best: Match | None = None
    for product in advisory.products:
        if not product.matches(model):
            continue
        judged = product.judge(firmware)
        if judged is None:
            continue
        status, why = judged
        if best is None or (status == "affected" and best.status == "possible"):
            best = Match(advisory, product, status, why)
    return best
