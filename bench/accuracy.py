"""Measure the classifier on the labelled corpus: a benchmark, not a unit test.

    python bench/accuracy.py [SAMPLES.jsonl ...] [--verbose]

Default: ../shared/corpus/samples.jsonl and corpus/samples-extra.jsonl.

Each sample becomes one device (its observations, see bench/corpus.py) and is judged
offline, exactly as `camscan identify` would. Printed:
- Hikvision/Dahua recall: samples truly made by them that camscan names so (OEM-branded
  units counted separately);
- false Hikvision/Dahua: samples made by anyone else (or by nobody known) named Hikvision
  or Dahua (target 0);
- maker accuracy over cameras with a known maker.
Exits non-zero only when the run itself is broken.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Sample, host_of, load_samples, observations
from scanner.model import Observation
from scanner.recognize import Recognizer

COVERED = ("Hikvision", "Dahua")


@dataclass(frozen=True)
class Row:
    sample: Sample
    truth: str | None
    predicted: str | None
    brand: str | None
    mapped: bool


def judge(samples: list[Sample], recognizer: Recognizer) -> list[Row]:
    vocabulary = recognizer.database.vocabulary
    rows = []
    for index, sample in enumerate(samples):
        pairs = observations(sample)
        truth = _canonical(sample.manufacturer, vocabulary.canonical)
        if not pairs:
            rows.append(Row(sample, truth, None, None, pairs is not None))
            continue
        host = host_of(index)
        obs = [Observation(host, None, "corpus", f, v) for f, v in pairs]
        verdict = recognizer.device(host, obs).verdict
        rows.append(Row(sample, truth, verdict.manufacturer, verdict.brand, True))
    return rows


def _canonical(label: str | None, canonical: object) -> str | None:
    """Corpus labels are long ('Axis Communications', 'Panasonic (i-PRO)'): map to vocabulary."""
    if not label:
        return None
    lookup = canonical  # type: ignore[assignment]
    for candidate in (label, label.split(" (")[0], label.split()[0]):
        found = lookup(candidate)  # type: ignore[operator]
        if found:
            return str(found)
    return label


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100 * n / d:.1f}%" if d else "n/a"


def report(rows: list[Row], verbose: bool) -> None:
    covered = [r for r in rows if r.truth in COVERED]
    oem = [
        r for r in covered if r.sample.brand and not str(r.sample.brand).startswith(r.truth or "~")
    ]
    own = [r for r in covered if r not in oem]
    false_hd = [r for r in rows if r.truth not in COVERED and r.predicted in COVERED]
    cameras = [r for r in rows if r.sample.is_camera and r.truth]
    hits = lambda rs: sum(r.predicted == r.truth for r in rs)  # noqa: E731
    unmapped = [r for r in rows if not r.mapped]
    print(f"samples: {len(rows)} (no camscan field yet: {len(unmapped)})")
    print(f"{'metric':<44} {'result':>22}  target")
    print(f"{'Hikvision/Dahua recall, own brands':<44} {_pct(hits(own), len(own)):>22}")
    print(f"{'Hikvision/Dahua recall, OEM-branded units':<44} {_pct(hits(oem), len(oem)):>22}")
    print(f"{'Hikvision/Dahua recall, all':<44} {_pct(hits(covered), len(covered)):>22}  >= 95%")
    print(f"{'others called Hikvision/Dahua':<44} {len(false_hd):>22}  0")
    print(f"{'maker accuracy over cameras':<44} {_pct(hits(cameras), len(cameras)):>22}  >= 85%")
    misses = [r for r in rows if r.truth and r.predicted != r.truth] + false_hd
    if verbose:
        for r in misses:
            print(
                f"  {r.sample.id} {r.sample.protocol}: truth={r.truth} predicted={r.predicted} "
                f"brand={r.brand} mapped={r.mapped}"
            )
    print("misses by protocol:", dict(Counter(r.sample.protocol for r in misses)))


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
