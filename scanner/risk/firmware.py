"""Firmware strings in each maker's own format -> comparable values.

Makers write firmware versions their own way, and an advisory states its affected range in
that same format, so the comparison has to understand it:

- Hikvision: ``V5.5.0 build 170725`` (ONVIF, ISAPI ``firmwareVersion`` + ``firmwareReleasedDate``),
  ``V5.6.2build 190701`` (SADP ``SoftwareVersion``), ``IPC_G5_EN_STD_5.5.113_210317`` (a firmware
  file name, as the researcher's report lists them). The build is a date, YYMMDD.
- Dahua and its OEM lines: ``2.420.0000.15.R, Build Date 2016-09-08`` (web UI),
  ``version=4.001.0000005.0,build:2020-11-17`` (magicBox), ``V2.800.0000000.18.R`` (ONVIF, no
  date), ``2.800.0000000.6.R.200314`` and ``2.420.AC00.18.R.20200217`` (file names, date last).
- Others (Axis ``9.80.1``, D-Link ``2.12``, Reolink ``v3.0.0.136_20121102``): dotted versions.

A :class:`Firmware` is the version's components plus the build date when the string carried
one. :func:`compare` orders two of them, or says it cannot (None) when the one thing that
would decide is missing: a device that reported ``V5.4.0`` without its build cannot be placed
against a boundary ``V5.4.0 build 160530``. Unknown is never treated as inside a range.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

TEXT_MAX = 200
"""Longest firmware string parsed (a device writes its own; real ones are under 60)."""

Token = int | str

# A Hikvision firmware file name: <platform>_<region>_<flavour>_<version>_<YYMMDD>.
_HIK_FILE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+_V?(\d+(?:\.\d+)+)_(\d{6})$", re.I)
# "build 170725", "build:2020-11-17", "Build Date 2016-09-08", "Build Date: 2024-08-30".
_BUILD = re.compile(
    r"build(?:\s*date)?\s*[:=]?\s*(\d{4}-\d{1,2}-\d{1,2}|\d{8}|\d{6})(?!\d)", re.I
)
# Dahua file names end in .R.<YYMMDD or YYYYMMDD>(.bin).
_TRAILING_DATE = re.compile(r"\.R\.(\d{8}|\d{6})(?:\.bin)?$", re.I)
_VERSION = re.compile(r"V?(\d+(?:\.[0-9A-Za-z]+)+|\d+)", re.I)


@dataclass(frozen=True, slots=True)
class Firmware:
    """One firmware as camscan understood it."""

    text: str
    """The string as the device (or advisory) wrote it."""
    tokens: tuple[Token, ...]
    """The dotted components: numbers as int, others ('R', '00AC003') as written."""
    build: dt.date | None
    """The build date, when the string carried one."""

    def describe(self) -> str:
        return self.text


def _date(text: str) -> dt.date | None:
    """YYMMDD (20YY), YYYYMMDD or YYYY-MM-DD; None when it is no calendar date."""
    try:
        if "-" in text:
            year, month, day = (int(part) for part in text.split("-"))
        elif len(text) == 8:
            year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
        else:
            year, month, day = 2000 + int(text[:2]), int(text[2:4]), int(text[4:])
        return dt.date(year, month, day)
    except ValueError:
        return None


def _tokens(version: str) -> tuple[Token, ...]:
    return tuple(int(part) if part.isdigit() else part for part in version.split(".") if part)


def parse_firmware(text: str) -> Firmware | None:
    """The firmware in ``text``, or None when it holds no version and no build date."""
    text = " ".join(text.split())[:TEXT_MAX]
    if not text:
        return None
    named = _HIK_FILE.match(text)
    if named:
        return Firmware(text, _tokens(named.group(1)), _date(named.group(2)))
    body = re.sub(r"^version\s*[=:]\s*", "", text, flags=re.I)
    build: dt.date | None = None
    found = _BUILD.search(body)
    if found:
        build = _date(found.group(1))
        body = body[: found.start()]
    else:
        trailing = _TRAILING_DATE.search(body)
        if trailing:
            build = _date(trailing.group(1))
            body = body[: trailing.start()] + ".R"
    version = _VERSION.search(body.strip(" ,;"))
    tokens = _tokens(version.group(1)) if version else ()
    if not tokens and build is None:
        return None
    return Firmware(text, tokens, build)


def _token_order(a: Token, b: Token) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return (a > b) - (a < b)
    # Mixed or lettered components ('00AC003', 'R') compare as the device wrote them:
    # zero-padded build codes then order as their digits do.
    left, right = str(a).upper(), str(b).upper()
    return (left > right) - (left < right)


def compare_tokens(a: tuple[Token, ...], b: tuple[Token, ...]) -> int:
    """-1, 0, 1 component by component; a prefix is lower (5.4 < 5.4.1)."""
    for left, right in zip(a, b, strict=False):
        order = _token_order(left, right)
        if order:
            return order
    return (len(a) > len(b)) - (len(a) < len(b))


def compare(device: Firmware, bound: Firmware) -> int | None:
    """Order ``device`` against an advisory's ``bound``: -1 before, 0 equal, 1 after, None
    when what would decide is unknown.

    The version decides first (that is how Hikvision and Dahua number releases); the build
    date decides between equal versions, and alone when the bound is a build date only
    ("build time before 2021-06").
    """
    if bound.tokens:
        if not device.tokens:
            return None
        order = compare_tokens(device.tokens, bound.tokens)
        if order:
            return order
        if bound.build is None:
            return 0
    if bound.build is None:
        return 0 if not bound.tokens else None
    if device.build is None:
        return None
    return (device.build > bound.build) - (device.build < bound.build)
