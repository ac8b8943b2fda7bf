"""tools/rebuild_advisories.py reads a KEV-shaped catalogue and updates the data's KEV fields.

The catalogue is tests/fixtures/risk/kev-shape.json, a shape fixture written by hand with the
real field names (see the fixture README); the tool never runs against the network here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from scanner.recognize.fingerprints import default_root
from scanner.recognize.vocabulary import load_vocabulary
from tests.risk.helpers import FIXTURES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import rebuild_advisories as tool

SHAPE = FIXTURES / "kev-shape.json"


def _catalogue() -> tool.Catalogue:
    data = json.loads(SHAPE.read_text(encoding="utf-8"))
    return tool.parse_catalogue(data, load_vocabulary(default_root()))


def test_parses_the_entries_of_vocabulary_makers() -> None:
    """Entries of makers camscan names are kept, the vendor spelled the vocabulary's way;
    entries of vendors the vocabulary does not know are dropped."""
    catalogue = _catalogue()
    assert catalogue.version == "2025.08.25"
    vendors = {entry.cve: entry.vendor for entry in catalogue.entries}
    assert vendors["CVE-2021-36260"] == "Hikvision" and vendors["CVE-2020-5735"] == "Amcrest"
    vocabulary = load_vocabulary(default_root())
    raw = json.loads(SHAPE.read_text(encoding="utf-8"))["vulnerabilities"]
    known = {v["cveID"] for v in raw if vocabulary.canonical(v["vendorProject"]) is not None}
    assert set(vendors) == known


@pytest.mark.parametrize(
    "broken",
    [[], {"vulnerabilities": "x"}, {"vulnerabilities": [{"cveID": "CVE-1"}]},
     {"vulnerabilities": [{"cveID": "C", "vendorProject": "Dahua", "dateAdded": "soon"}]}],
)
def test_a_catalogue_of_another_shape_is_refused(broken: object) -> None:
    """JSON that is not shaped like the catalogue raises BadCatalogue, naming what is wrong."""
    with pytest.raises(tool.BadCatalogue):
        tool.parse_catalogue(broken, load_vocabulary(default_root()))


def test_report_names_differences_and_new_camera_entries() -> None:
    """Rows the catalogue confirms say nothing; a GeoVision camera entry without a row is
    counted for a person to check; the router entry is not called new."""
    text = (default_root() / "advisories.toml").read_text(encoding="utf-8")
    lines = tool.report(text, _catalogue(), load_vocabulary(default_root()))
    assert not any(line.startswith(("CVE-2021-36260", "CVE-2021-33044")) for line in lines)
    assert any("GeoVision 1" in line for line in lines)
    assert not any(line.startswith("CVE-2023-1389: new") for line in lines)
    listed = tool.report(text, _catalogue(), load_vocabulary(default_root()), everything=True)
    assert any(line.startswith("CVE-2024-6047: other KEV entry of GeoVision") for line in listed)


def test_write_corrects_a_rows_kev_fields_and_the_header(tmp_path: Path) -> None:
    """A row whose kev_added disagrees with the catalogue is corrected; date and catalogue
    version follow; comments and every other row stay as they were."""
    root = tmp_path / "fp"
    shutil.copytree(default_root(), root, ignore=shutil.ignore_patterns("__*"))
    path = root / "advisories.toml"
    original = path.read_text(encoding="utf-8")
    wrong = original.replace('kev_added = "2024-08-21"', 'kev_added = "2024-01-01"', 1)
    assert wrong != original
    path.write_text(wrong, encoding="utf-8")
    assert tool.main(["--kev", str(SHAPE), "--data", str(path), "--write"]) == 0
    fixed = path.read_text(encoding="utf-8")
    assert 'kev_added = "2024-01-01"' not in fixed
    assert f'date = "{dt.date.today().isoformat()}"' in fixed

    def undated(text: str) -> str:
        return re.sub(r'^date = ".*"$', "date = ?", text, count=1, flags=re.M)

    assert undated(fixed) == undated(original)
