"""A tiny PNG reader for the report's screenshot test: enough to count colours, no new deps.

Reads 8-bit RGB or RGBA, non-interlaced (what Chromium writes), undoing the five PNG row
filters (RFC 2083 §6) for the first ``rows`` rows only: the top of the report, where the header,
summary and chart are, is what a blank or unstyled page would lack.
"""

from __future__ import annotations

import struct
import zlib
from itertools import accumulate

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunks(data: bytes) -> tuple[tuple[int, int, int, int, int], bytes]:
    if data[:8] != SIGNATURE:
        raise ValueError("not a PNG file")
    pos, header, idat = 8, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour_type, _, _, interlace = header
    return (width, height, depth, colour_type, interlace), b"".join(idat)


def _paeth(line: bytearray, prev: bytes, bpp: int) -> None:
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        line[i] = (line[i] + pred) & 0xFF


def _unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> None:
    if kind == 1:  # Sub: a running sum per channel
        for c in range(bpp):
            line[c::bpp] = bytes(x & 0xFF for x in accumulate(line[c::bpp]))
    elif kind == 2:  # Up
        line[:] = bytes((x + y) & 0xFF for x, y in zip(line, prev, strict=True))
    elif kind == 3:  # Average
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:
        _paeth(line, prev, bpp)
    elif kind != 0:
        raise ValueError(f"bad PNG filter {kind}")


def png_size(data: bytes) -> tuple[int, int]:
    (width, height, *_), _ = _chunks(data)
    return width, height


def colours(data: bytes, rows: int = 600) -> set[tuple[int, int, int]]:
    """The distinct RGB colours in the first ``rows`` rows of the PNG ``data``."""
    (width, height, depth, colour_type, interlace), compressed = _chunks(data)
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    rows = min(rows, height)
    raw = zlib.decompressobj().decompress(compressed, rows * (stride + 1))
    prev = bytes(stride)
    found: set[tuple[int, int, int]] = set()
    for y in range(rows):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(raw[start], line, prev, bpp)
        found.update((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, bpp))
        prev = bytes(line)
    return found
