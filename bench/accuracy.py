"""Measure the classifier on the labelled corpus: a benchmark, not a unit test.

    python bench/accuracy.py [SAMPLES.jsonl ...] [--verbose]

Default: ../shared/corpus/samples.jsonl (where it lies beside the checkout) and every
corpus/*.jsonl. Files given replace the default (name corpus/*.jsonl too to keep it).

Each sample becomes one device (its observations, see bench/corpus.py) and is judged offline,
exactly as `camscan identify` would. Every figure is given twice:

- **seen**: samples from a source that gave an example to a fingerprint that matched them and
  named a maker, so camscan may merely remember them;
- **unseen**: samples for which no matching fingerprint has an example from their source (the
  source is the repository, thread or site the row cites). This is how camscan does on the
  next device, and the figure to improve.

Printed per subset: Hikvision/Dahua recall (OEM-branded units apart), others called
Hikvision/Dahua (target 0), maker accuracy over cameras and over every device, the unknown rate,
calibration (of verdicts with confidence >= 0.8, the share that is right) and device-type
accuracy; then accuracy per maker. Exits non-zero only when the run itself is broken.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Sample, host_of, load_samples, observations
from scanner.model import CAMERA_TYPES, Observation, Verdict
from scanner.recognize import Recognizer, orgs

COVERED = ("Hikvision", "Dahua")
SURE = 0.8
_REPO = re.compile(r"(?:github\.com/)?\b([A-Za-z0-9][\w.-]*/[\w.-]+?)(?:\.git)?(?=[\s/@#)]|$)")
_HOST = re.compile(r"https?://(?:www\.)?([^/\s)]+)")
_SAMPLE_ID = re.compile(r"\b([a-z]{1,2}\d{4})\b")


def source_key(text: str) -> str:
    """The repository ('owner/repo') or site a source line names, lower case."""
    text = text.strip()
    host = _HOST.search(text)
    if host and host.group(1).lower() != "github.com":
        return host.group(1).lower()
    if "github.com/" in text:
        found = re.search(r"github\.com/([\w.-]+/[\w.-]+)", text)
        if found:
            return found.group(1).lower().removesuffix(".git")
    found = _REPO.match(text)
    if found and "." not in found.group(1).split("/")[0]:
        return found.group(1).lower()
    return text.split()[0].lower() if text else ""


def example_sources(recognizer: Recognizer, samples: Iterable[Sample]) -> dict[str, set[str]]:
    """Fingerprint id -> the source keys its examples came from (corpus ids resolved)."""
    by_id = {s.id: source_key(s.source) for s in samples}
    found: dict[str, set[str]] = defaultdict(set)
    for entry in recognizer.database.all():
        for example in entry.examples:
            keys = {source_key(part) for part in re.split(r";|\balso\b", example.source)}
            keys |= {by_id[i] for i in _SAMPLE_ID.findall(example.source) if i in by_id}
            keys |= {
                m.group(1).lower()
                for m in re.finditer(r"github\.com/([\w.-]+/[\w.-]+)", example.source)
            }
            found[entry.id] |= {k for k in keys if k}
    return found


@dataclass(frozen=True)
class Row:
    sample: Sample
    truth: str | None
    verdict: Verdict | None
    mapped: bool
    seen: bool

    @property
    def predicted(self) -> str | None:
        return self.verdict.manufacturer if self.verdict else None

    truth_maker: str | None = None
    """The maker behind the labelled company when it is another's own brand or OEM label
    (oem.toml, high or medium confidence): an EZVIZ unit named Hikvision is right."""

    @property
    def right(self) -> bool:
        if self.truth is None:
            return False
        return same_maker(self.predicted, self.truth) or (
            self.truth_maker is not None and same_maker(self.predicted, self.truth_maker)
        )

    @property
    def covered(self) -> bool:
        return self.truth in COVERED or self.truth_maker in COVERED


def same_maker(predicted: str | None, truth: str) -> bool:
    return predicted is not None and (
        predicted == truth or orgs.core(predicted) == orgs.core(truth)
    )


def judge(samples: list[Sample], recognizer: Recognizer) -> list[Row]:
    vocabulary = recognizer.database.vocabulary
    sources = example_sources(recognizer, samples)
    rows = []
    for index, sample in enumerate(samples):
        pairs = observations(sample)
        truth = _canonical(sample.manufacturer, vocabulary.canonical)
        if not pairs:
            rows.append(Row(sample, truth, None, pairs is not None, False))
            continue
        host = host_of(index)
        obs = [Observation(host, None, "corpus", f, v) for f, v in pairs]
        verdict = recognizer.device(host, obs).verdict
        mine = source_key(sample.source)
        seen = any(
            mine in sources.get(e.fingerprint, ())
            for e in verdict.evidence
            if "manufacturer" in e.asserts or "brand" in e.asserts
        )
        relation = vocabulary.maker_of(truth) if truth else None
        behind = relation.manufacturer if relation and relation.confidence != "low" else None
        rows.append(Row(sample, truth, verdict, True, seen, behind))
    return rows


def _canonical(label: str | None, canonical: Callable[[str], str | None]) -> str | None:
    """Corpus labels are long ('Axis Communications', 'Panasonic (i-PRO)'): map to vocabulary."""
    if not label:
        return None
    for candidate in (label, label.split(" (")[0], label.split()[0]):
        found = canonical(candidate)
        if found:
            return found
    return label


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100 * n / d:.1f}%" if d else "n/a"


def _device_type_right(row: Row) -> bool:
    """Kinds compared as labelled; cameras, NVRs and DVRs count as one (video surveillance),
    and a verdict that says only is_camera=true is right for them."""
    label = row.sample.device_type
    said = row.verdict.device_type if row.verdict else None
    if label in CAMERA_TYPES:
        return said in CAMERA_TYPES or (
            said is None and bool(row.verdict and row.verdict.is_camera)
        )
    return said == label


def metrics(rows: list[Row]) -> list[tuple[str, str]]:
    covered = [r for r in rows if r.covered]
    oem = [
        r for r in covered if r.sample.brand and not str(r.sample.brand).startswith(r.truth or "~")
    ]
    known = [r for r in rows if r.truth]
    cameras = [r for r in known if r.sample.is_camera]
    sure = [r for r in known if r.verdict and r.verdict.confidence >= SURE]
    typed = [r for r in rows if r.sample.device_type]
    right = lambda rs: sum(r.right for r in rs)  # noqa: E731
    return [
        ("Hikvision/Dahua recall, all", _pct(right(covered), len(covered))),
        ("  of which OEM-branded units", _pct(right(oem), len(oem))),
        (
            "others called Hikvision/Dahua",
            str(sum(not r.covered and r.predicted in COVERED for r in rows)),
        ),
        ("maker right, cameras", _pct(right(cameras), len(cameras))),
        ("maker right, every device", _pct(right(known), len(known))),
        (
            "maker unknown (of devices with a label)",
            _pct(sum(r.predicted is None for r in known), len(known)),
        ),
        (f"calibration: right when confidence >= {SURE}", _pct(right(sure), len(sure))),
        (
            "device type right (rows with a type label)",
            _pct(sum(map(_device_type_right, typed)), len(typed)),
        ),
    ]


def report(rows: list[Row], verbose: bool) -> None:
    unmapped = [r for r in rows if not r.mapped]
    seen = [r for r in rows if r.seen]
    unseen = [r for r in rows if not r.seen and r.mapped]
    print(
        f"samples: {len(rows)} (no camscan field yet: {len(unmapped)}); "
        f"seen {len(seen)}, unseen {len(unseen)}"
    )
    print(f"{'metric':<44} {'seen':>18} {'UNSEEN':>18} {'all':>18}  target (unseen)")
    targets = {0: ">= 90%", 2: "0", 3: ">= 85%", 4: ">= 70%"}
    mapped = [r for r in rows if r.mapped]
    for i, ((name, a), (_, b), (_, c)) in enumerate(
        zip(metrics(seen), metrics(unseen), metrics(mapped), strict=True)
    ):
        print(f"{name:<44} {a:>18} {b:>18} {c:>18}  {targets.get(i, '')}")
    print("\nper maker (rows with that true maker): right seen / right unseen")
    by_maker: dict[str, list[Row]] = defaultdict(list)
    for r in mapped:
        if r.truth:
            by_maker[r.truth].append(r)
    for maker, group in sorted(by_maker.items(), key=lambda kv: -len(kv[1]))[:40]:
        s = [r for r in group if r.seen]
        u = [r for r in group if not r.seen]
        print(
            f"  {maker:<24} {len(group):>4}  seen {_pct(sum(r.right for r in s), len(s)):>16}"
            f"  unseen {_pct(sum(r.right for r in u), len(u)):>16}"
        )
    misses = [
        r
        for r in mapped
        if (r.truth and not r.right) or (not r.covered and r.predicted in COVERED)
    ]
    print(
        "\nmisses by field/protocol:",
        dict(Counter(r.sample.protocol for r in misses).most_common()),
    )
    if verbose:
        for r in misses:
            v = r.verdict
            where = "seen" if r.seen else "UNSEEN"
            print(
                f"  {r.sample.id} {r.sample.protocol} {where}: truth={r.truth} "
                f"predicted={r.predicted} brand={v.brand if v else None} "
                f"conf={v.confidence if v else 0} :: {r.sample.raw[:90]!r}"
            )


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("-")]
    samples = load_samples(*(Path(a) for a in args))
    if not samples:
        print("no samples read", file=sys.stderr)
        return 1
    report(judge(samples, Recognizer.load()), "--verbose" in argv or "-v" in argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
