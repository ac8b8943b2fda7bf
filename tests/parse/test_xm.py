"""Xiongmai search answers (JSON) -> the xm.reply key table."""

from __future__ import annotations

import pytest

from scanner.errors import DecodeError
from scanner.limits import HEADER_VALUE_MAX
from scanner.parse.xm import parse_xm_table

from .structured_captures import capture, truncated

IPC_6A6B = capture("xiongmai-ipc-6a6b-v4.02.r12.xm.json")


@pytest.mark.parametrize(
    "bad",
    [truncated(IPC_6A6B), b"", b"[1, 2]", b'{"Name": "x"}', b"{" * 100_000],
    ids=["truncated", "empty", "array", "no-netcommon", "deep"],
)
def test_broken_answers_are_decode_errors(bad: bytes) -> None:
    """Cut, empty, foreign, or absurdly nested JSON: DecodeError, nothing else."""
    with pytest.raises(DecodeError):
        parse_xm_table(bad)


def test_values_are_bounded() -> None:
    """A 20 KiB value is cut to HEADER_VALUE_MAX characters."""
    text = '{"NetWork.NetCommon": {"HostName": "%s"}}' % ("A" * 20_000)
    assert len(parse_xm_table(text)["HostName"]) == HEADER_VALUE_MAX
