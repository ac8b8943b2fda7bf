"""camscan merge: deduplication by MAC / serial / same-site IP, seen_in, schema validity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner.audit import merge_documents

from .helpers import SCANS, Run, device, parsed, scan, validate_scan, write

SITE_A, SITE_B = str(SCANS / "site-a.json"), str(SCANS / "site-b.json")


def _by_model(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["verdict"]["model"]: d for d in doc["devices"]}


def test_merge_two_sites(run: Run, tmp_path: Path) -> None:
    """The Dahua camera seen at both sites (same MAC) is one device with two sightings; the
    same private addresses at two sites stay two devices; the result validates."""
    out = tmp_path / "merged.json"
    code, stdout, err = run("merge", SITE_A, SITE_B, "-o", str(out))
    assert (code, stdout, err) == (0, "", "")
    merged = json.loads(out.read_text("utf-8"))
    validate_scan(merged)
    assert merged["summary"]["devices"] == 6
    dahua = _by_model(merged)["IPC-HDW1431T1-S4"]
    assert [(s["scan"], s["ip"]) for s in dahua["seen_in"]] == [
        (SITE_A, "198.18.0.17"),
        (SITE_B, "198.18.0.23"),
    ]
    at_40 = {d["verdict"]["model"] for d in merged["devices"] if d["ip"] == "198.18.0.40"}
    assert at_40 == {"DS-2CD2385G1-I", "DS-7732NI-M4"}
    at_30 = {d["verdict"]["model"] for d in merged["devices"] if d["ip"] == "198.18.0.30"}
    assert at_30 == {"P3343", "P3225-LV Mk II"}  # no MAC or serial: one per site
    assert merged["scan"]["command"] == "merge"
    assert [i["scan"] for i in merged["scan"]["options"]["merge"]["inputs"]] == [SITE_A, SITE_B]
    assert merged["summary"]["covered"] == {"fcc": 4, "ndaa889": 4, "uk2022": 4}


def test_same_site_pairs_by_address_unless_macs_disagree(run: Run) -> None:
    """--same-site merges the two MAC-less Axis sightings at .30, never the two .40 devices."""
    code, stdout, _ = run("merge", "--same-site", SITE_A, SITE_B)
    assert code == 0
    merged = json.loads(stdout)
    validate_scan(merged)
    assert merged["summary"]["devices"] == 5
    at_30 = [d for d in merged["devices"] if d["ip"] == "198.18.0.30"]
    assert len(at_30) == 1 and len(at_30[0]["seen_in"]) == 2
    assert len([d for d in merged["devices"] if d["ip"] == "198.18.0.40"]) == 2


def test_serial_pairs_across_sites() -> None:
    """A device with no MAC in one scan is recognised in another by its serial."""
    a = scan("site-a.json")
    b = scan("site-b.json")
    device(b, "198.18.0.23")["mac"] = None
    merged = merge_documents([parsed(a, "a"), parsed(b, "b")])
    dahua = _by_model(merged)["IPC-HDW1431T1-S4"]
    assert dahua["mac"] == "08:ed:ed:87:42:7a"
    assert [s["scan"] for s in dahua["seen_in"]] == ["a", "b"]


def test_most_confident_sighting_is_kept() -> None:
    """The merged device is the sighting with the most confident verdict, MAC filled in."""
    a = scan("site-a.json")
    b = scan("site-b.json")
    weak = device(a, "198.18.0.17")
    weak["mac"] = None
    weak["verdict"]["confidence"] = 0.1
    weak["verdict"]["reason"] = "weak sighting"
    merged = merge_documents([parsed(a, "a"), parsed(b, "b")])
    dahua = _by_model(merged)["IPC-HDW1431T1-S4"]
    assert dahua["ip"] == "198.18.0.23" and dahua["verdict"]["reason"] != "weak sighting"


def test_merging_a_merge_does_not_duplicate(run: Run, tmp_path: Path) -> None:
    """merge(merge(A, B), A) holds the same devices and sightings as merge(A, B)."""
    first = tmp_path / "ab.json"
    run("merge", SITE_A, SITE_B, "-o", str(first))
    code, stdout, _ = run("merge", str(first), SITE_A)
    assert code == 0
    again = json.loads(stdout)
    once = json.loads(first.read_text("utf-8"))
    validate_scan(again)
    assert [(d["ip"], d["seen_in"]) for d in again["devices"]] == [
        (d["ip"], d["seen_in"]) for d in once["devices"]
    ]


def test_document_without_compliance_still_merges_valid(tmp_path: Path) -> None:
    """A scan written before compliance blocks merges into a valid document (status unknown)."""
    old = scan("site-a.json")
    for item in old["devices"]:
        del item["compliance"]
    merged = merge_documents([parsed(old, "old")])
    validate_scan(merged)
    assert {d["compliance"]["status"] for d in merged["devices"]} == {"unknown"}


def test_seen_in_is_optional_in_the_schema() -> None:
    """The schema still accepts a plain scan (no seen_in) and rejects a malformed seen_in."""
    doc = scan("site-a.json")
    validate_scan(doc)
    doc["devices"][0]["seen_in"] = [{"scan": "x", "ip": "198.18.0.17"}]
    with pytest.raises(jsonschema.ValidationError, match="started"):
        validate_scan(doc)


def test_merge_output_written_as_input_path(run: Run, tmp_path: Path) -> None:
    """-o may name one of the inputs: every input is read before the output is opened."""
    target = write(tmp_path / "a.json", scan("site-a.json"))
    code, _, _ = run("merge", target, SITE_B, "-o", target)
    assert code == 0
    assert json.loads(Path(target).read_text("utf-8"))["summary"]["devices"] == 6
