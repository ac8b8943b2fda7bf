"""camscan diff: pairing by MAC, serial and IP, the camscan-diff/1 document, exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.audit import diff_documents

from .helpers import Run, device, parsed, scan, validate_diff, write


def _edited_demo() -> dict[str, Any]:
    """The demo scan with one device gone (.31), one re-identified (.91), one moved by its
    serial (.23 -> .99) and one new (.200, a copy of .41 with no MAC or serial)."""
    doc = scan("demo.json")
    doc["devices"] = [d for d in doc["devices"] if d["ip"] != "127.77.0.31"]
    device(doc, "127.77.0.91")["verdict"]["model"] = "FLEXIDOME IP 5000i"
    device(doc, "127.77.0.23")["ip"] = "127.77.0.99"
    newcomer = json.loads(json.dumps(device(doc, "127.77.0.41")))
    newcomer["ip"] = "127.77.0.200"
    doc["devices"].append(newcomer)
    return doc


def test_diff_reports_appeared_vanished_changed_moved(run: Run, tmp_path: Path) -> None:
    """Each kind of difference is found once, in the camscan-diff/1 shape, and exit is 1."""
    old = str(Path(__file__).parent.parent / "fixtures" / "scans" / "demo.json")
    new = write(tmp_path / "new.json", _edited_demo())
    code, out, err = run("diff", old, new, "-f", "json")
    assert (code, err) == (1, "")
    result = json.loads(out)
    validate_diff(result)
    assert [d["ip"] for d in result["appeared"]] == ["127.77.0.200"]
    assert [d["ip"] for d in result["vanished"]] == ["127.77.0.31"]
    assert result["changed"] == [
        {
            "ip": "127.77.0.91",
            "mac": None,
            "changes": {"model": ["FLEXIDOME NDC-455-P", "FLEXIDOME IP 5000i"]},
        }
    ]
    assert result["moved"] == [
        {
            "from": "127.77.0.23",
            "to": "127.77.0.99",
            "mac": None,
            "serial": "AMC0007RVY5EQ6DV29",
            "matched_by": "serial",
        }
    ]
    total = len(scan("demo.json")["devices"])
    assert result["summary"] == {
        "appeared": 1,
        "vanished": 1,
        "changed": 1,
        "moved": 1,
        "unchanged": total - 3,
    }


def test_same_scan_exits_zero(run: Run, tmp_path: Path) -> None:
    """A scan compared with itself has no differences and exits 0, like diff(1)."""
    path = str(Path(__file__).parent.parent / "fixtures" / "scans" / "site-a.json")
    code, out, _ = run("diff", path, path, "-f", "table")
    assert code == 0
    assert "No differences: 4 devices" in out


def test_mac_pairs_before_address(tmp_path: Path) -> None:
    """Two devices that swapped addresses are two moves, not two changes of model."""
    old = scan("site-a.json")
    new = scan("site-a.json")
    first, second = device(new, "198.18.0.40"), device(new, "198.18.0.41")
    first["ip"], second["ip"] = "198.18.0.41", "198.18.0.40"
    result = diff_documents(parsed(old, "old"), parsed(new, "new"))
    assert result.changed == ()
    assert {(m.old_ip, m.new_ip, m.matched_by) for m in result.moved} == {
        ("198.18.0.40", "198.18.0.41", "mac"),
        ("198.18.0.41", "198.18.0.40", "mac"),
    }


def test_new_device_on_old_address_is_not_a_change() -> None:
    """An address now held by a device with another MAC and serial: one vanished, one appeared."""
    old = scan("site-a.json")
    new = scan("site-a.json")
    replacement = device(scan("site-b.json"), "198.18.0.40")  # the NVR, its own MAC and serial
    new["devices"] = [replacement if d["ip"] == "198.18.0.40" else d for d in new["devices"]]
    result = diff_documents(parsed(old, "old"), parsed(new, "new"))
    assert [d.mac for d in result.vanished] == ["58:50:ed:1f:e3:85"]
    assert [d.mac for d in result.appeared] == ["22:ea:fb:38:1e:06"]
    assert result.changed == () and result.moved == ()


def test_serial_does_not_pair_devices_whose_macs_differ() -> None:
    """A serial shared by two devices with different MACs (a bogus serial) pairs nothing."""
    old = scan("site-a.json")
    new = scan("site-a.json")
    moved = device(new, "198.18.0.41")
    moved["ip"], moved["mac"] = "198.18.0.99", "a6:63:9e:f8:01:0a"
    result = diff_documents(parsed(old, "old"), parsed(new, "new"))
    assert [d.ip for d in result.vanished] == ["198.18.0.41"]
    assert [d.ip for d in result.appeared] == ["198.18.0.99"]


def test_compliance_status_change_is_reported() -> None:
    """A device whose compliance status changed (new evidence, new lists) shows as changed."""
    old = scan("site-a.json")
    new = scan("site-a.json")
    device(new, "198.18.0.30")["compliance"]["status"] = "possible"
    result = diff_documents(parsed(old, "old"), parsed(new, "new"))
    assert [(c.ip, c.changes) for c in result.changed] == [
        ("198.18.0.30", {"compliance": ("not-covered", "possible")})
    ]


def test_table_is_plain_and_cleans_hostile_values(run: Run, tmp_path: Path) -> None:
    """The table names each section and strips a device's escape sequences from its cells."""
    old = scan("site-a.json")
    new = scan("site-a.json")
    device(new, "198.18.0.30")["verdict"]["model"] = "P3343\x1b]0;pwned\x07\x1b[31m"
    code, out, _ = run(
        "diff", write(tmp_path / "a.json", old), write(tmp_path / "b.json", new), "-f", "table"
    )
    assert code == 1
    assert "Changed (1)" in out and "model" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "1 changed" in out


def test_format_follows_output_extension(run: Run, tmp_path: Path) -> None:
    """-o x.json writes the JSON document, -o x.txt the table; stdout stays empty."""
    path = str(Path(__file__).parent.parent / "fixtures" / "scans" / "site-a.json")
    code, out, _ = run("diff", path, path, "-o", str(tmp_path / "d.json"))
    assert (code, out) == (0, "")
    assert json.loads((tmp_path / "d.json").read_text("utf-8"))["schema"] == "camscan-diff/1"
    run("diff", path, path, "-o", str(tmp_path / "d.txt"))
    assert (tmp_path / "d.txt").read_text("utf-8").startswith("old: ")
