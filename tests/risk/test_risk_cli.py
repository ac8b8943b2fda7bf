"""The risk findings at the command line: --fail-on, --firmware-age, camscan advisories, the
staleness warning, identify vs identify --pcap, and every output format."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner.output import load_schema
from scanner.recognize.fingerprints import default_root
from tests.risk.helpers import FIXTURES

CORPUS = FIXTURES / "corpus-firmware.jsonl"
PCAP = FIXTURES.parent / "pcap" / "lab-scan.pcap"


def camscan(*args: str, warn: bool = False) -> subprocess.CompletedProcess[str]:
    """Run camscan; ``warn`` lets the staleness warning through (the suite silences it)."""
    env = dict(os.environ)
    if warn:
        env.pop("CAMSCAN_NO_DATA_WARNING", None)
    return subprocess.run(
        [sys.executable, "-c", "from scanner.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )


def test_fail_on_kev_exits_4_and_documents_still_validate(tmp_path: Path) -> None:
    """A KEV-affected device makes --fail-on kev exit 4; the JSON validates with its risks."""
    out = tmp_path / "scan.json"
    done = camscan("identify", str(CORPUS), "-o", str(out), "--fail-on", "kev")
    assert done.returncode == 4, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    assert document["summary"]["risks"]["CVE-2017-7921"] == 2  # s0183 and hd0016
    assert camscan("identify", str(CORPUS), "-f", "json").returncode == 0


def test_fail_on_ignores_possible_findings(tmp_path: Path) -> None:
    """Only possible findings (model known, firmware not): --fail-on any stays 0."""
    lines = [line for line in CORPUS.read_text(encoding="utf-8").splitlines()
             if json.loads(line)["sample"] == "s0243"]
    path = tmp_path / "one.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = camscan("identify", str(path), "-f", "json", "--fail-on", "any")
    assert done.returncode == 0, done.stderr
    risks = json.loads(done.stdout)["devices"][0]["risks"]
    assert {r["id"] for r in risks} == {"CVE-2021-33044", "CVE-2021-33045"}
    assert {r["status"] for r in risks} == {"possible"}


def test_policy_exit_3_wins_over_fail_on() -> None:
    """When both a policy and --fail-on trip, the exit status is --policy's 3."""
    done = camscan("identify", str(CORPUS), "-f", "json", "--policy", "ndaa889",
                   "--fail-on", "any")
    assert done.returncode == 3


@pytest.mark.parametrize("value", ["-1", "abc", "101", "nan"])
def test_bad_firmware_age_is_one_line(value: str) -> None:
    """A bad --firmware-age is exit 2 with one line naming the option and the fix."""
    done = camscan("identify", str(CORPUS), "--firmware-age", value)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--firmware-age" in done.stderr


def test_firmware_age_zero_turns_old_firmware_off() -> None:
    """--firmware-age 0: no old-firmware finding anywhere."""
    done = camscan("identify", str(CORPUS), "-f", "json", "--firmware-age", "0")
    ids = {r["id"] for d in json.loads(done.stdout)["devices"] for r in d["risks"]}
    assert "old-firmware" not in ids and "CVE-2017-7921" in ids


def test_advisories_lists_the_data_with_its_date() -> None:
    """`camscan advisories` names the data's date, the KEV catalogue and every CVE."""
    shipped = (default_root() / "advisories.toml").read_text(encoding="utf-8")
    date = re.search(r'^date = "(.*)"$', shipped, re.M)
    assert date is not None
    table = camscan("advisories")
    assert table.returncode == 0, table.stderr
    assert f"advisory data of {date.group(1)}" in table.stdout and "KEV" in table.stdout
    data = json.loads(camscan("advisories", "-f", "json").stdout)
    assert data["date"] == date.group(1) and data["kev_catalog"]
    cves = {row["cve"] for row in data["advisories"]}
    assert cves >= {"CVE-2021-36260", "CVE-2017-7921", "CVE-2021-33044", "CVE-2021-33045"}
    assert all(cve in table.stdout for cve in cves)


def test_advisories_without_data_is_one_line(tmp_path: Path) -> None:
    """A --fingerprints directory without advisories.toml: exit 2, one line naming the fix."""
    root = tmp_path / "fp"
    shutil.copytree(default_root(), root, ignore=shutil.ignore_patterns("__*", "advisories.*"))
    done = camscan("advisories", "--fingerprints", str(root))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "no advisory data" in done.stderr


def test_stale_data_draws_one_warning_line(tmp_path: Path) -> None:
    """Data older than 180 days: one warning line on stderr, the command still works."""
    root = tmp_path / "fp"
    shutil.copytree(default_root(), root, ignore=shutil.ignore_patterns("__*"))
    path = root / "advisories.toml"
    path.write_text(
        re.sub(r'^date = ".*"$', 'date = "2020-01-01"', path.read_text(encoding="utf-8"),
               count=1, flags=re.M),
        encoding="utf-8",
    )
    done = camscan("identify", str(CORPUS), "-f", "json", "--fingerprints", str(root), warn=True)
    assert done.returncode == 0
    warnings = [line for line in done.stderr.splitlines() if "advisory data" in line]
    assert len(warnings) == 1 and "2020-01-01" in warnings[0] and "days old" in warnings[0]
    quiet = camscan("identify", str(CORPUS), "-f", "json", "--fingerprints", str(root))
    assert "advisory data" not in quiet.stderr  # CAMSCAN_NO_DATA_WARNING=1 (tests/conftest)


def test_identify_and_pcap_give_the_same_risks(tmp_path: Path) -> None:
    """The observations a capture yields, fed to `identify` as lines, give the same risks
    per host as `identify --pcap` (one assessment for every path)."""
    pcap = camscan("identify", "--pcap", str(PCAP), "-f", "json")
    assert pcap.returncode == 0, pcap.stderr
    devices = json.loads(pcap.stdout)["devices"]
    lines = [
        json.dumps({"host": d["ip"], "port": o["port"], "probe": o["probe"],
                    "field": o["field"], "value": o["value"]})
        for d in devices for o in d["observations"]
    ]
    path = tmp_path / "from-pcap.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = json.loads(camscan("identify", str(path), "-f", "json").stdout)["devices"]

    def risks(found: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
        return {d["ip"]: [(r["id"], r["status"]) for r in d["risks"]] for d in found}

    from_pcap = risks(devices)
    assert any(from_pcap.values()) and risks(again) == from_pcap


def test_csv_and_table_carry_the_findings() -> None:
    """CSV has risks/kev/possible_risks/max_severity; the table a Risk column with KEV."""
    rows = list(csv.DictReader(io.StringIO(camscan("identify", str(CORPUS), "-f", "csv").stdout)))
    kev = [row for row in rows if row["kev"]]
    assert sorted(row["model"] for row in kev) == ["DS-2CD2532F-IWS", "DS-2DF7286-A"]
    assert kev[0]["max_severity"] == "critical" and "old-firmware" in kev[0]["risks"]
    assert any("CVE-2021-33044" in row["possible_risks"] for row in rows)
    table = camscan("identify", str(CORPUS), "-f", "table").stdout
    assert "Risk" in table.splitlines()[0] and "CVE-2017-7921 KEV" in table
