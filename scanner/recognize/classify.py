"""Weigh all evidence about one device into one Verdict a human can check.

Manufacturer (who built the platform) and brand (the label) are decided separately:
- Evidence that asserts a manufacturer counts for it directly (a SADP reply, App-webs).
- Evidence that asserts only a brand counts for the brand, and through the OEM table for the
  brand's maker (an ONVIF name/Amcrest counts for Dahua, scaled by how sure the table is).
- Scores combine as independent signals (noisy-OR), each fingerprint counted once.
- Generic software (Boa, GoAhead, "DVR") is kept as evidence but never names a maker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from scanner.model import CAMERA_TYPES, DEVICE_TYPES, DeviceType, Evidence, Verdict
from scanner.recognize.vocabulary import Vocabulary

#: Below this, a maker is not named at all (nothing but noise pointed at it).
MIN_SCORE = 0.15
#: A rival maker scoring at least this is reported as a conflict.
CONFLICT_SCORE = 0.3


@dataclass(frozen=True, slots=True)
class _Vote:
    maker: str
    weight: float
    evidence: Evidence
    via_brand: bool


def classify(
    evidence: Sequence[Evidence], vocabulary: Vocabulary, oui_vendor: str | None = None
) -> Verdict:
    """The verdict for one device from everything that matched."""
    evidence = _dedupe(evidence)
    votes = list(
        _maker_votes(evidence, vocabulary, _text(_best_value(evidence, "model", None, vocabulary)))
    )
    scores = _scores(votes)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    maker, score = ranked[0] if ranked else (None, 0.0)
    if score < MIN_SCORE:
        maker, score = None, 0.0
    rivals = _rivals(ranked[1:], votes, maker)
    conflicts = tuple(m for m, s in rivals if s >= CONFLICT_SCORE)
    rival = rivals[0][1] if rivals else 0.0
    confidence = round(max(0.0, score - 0.5 * rival), 3) if maker else 0.0
    brand = _best_value(evidence, "brand", maker, vocabulary) or _stated_label(evidence)
    device_type = _device_type(evidence) or _kind(vocabulary, brand, maker)
    verdict = Verdict(
        manufacturer=maker,
        brand=brand,
        model=_text(_best_value(evidence, "model", maker, vocabulary)),
        firmware=_text(_best_value(evidence, "firmware", maker, vocabulary)),
        device_type=device_type,
        is_camera=_is_camera(evidence, device_type),
        confidence=confidence,
        evidence=tuple(evidence),
        oui_vendor=oui_vendor,
        conflicts=conflicts,
        serial=_text(_best_value(evidence, "serial", maker, vocabulary)),
    )
    return _with_reason(verdict, votes)


def _rivals(
    others: Sequence[tuple[str, float]], votes: Sequence[_Vote], maker: str | None
) -> list[tuple[str, float]]:
    """Other makers that contradict `maker`.

    A label the device states of itself is no contradiction of a platform that other evidence
    names: that is what a relabel looks like (a TRENDnet camera on Hikvision firmware). A rival
    counts only when something besides a stated label points at it, or when nothing but
    labels points at `maker` either."""
    direct = any(v.maker == maker and not _is_label(v) for v in votes)
    if not direct:
        return list(others)
    return [(m, s) for m, s in others if any(v.maker == m and not _is_label(v) for v in votes)]


def _is_label(vote: _Vote) -> bool:
    return vote.via_brand and vote.evidence.fingerprint.startswith("declared.vendor/")


def _stated_label(evidence: Sequence[Evidence]) -> str | None:
    """The label the device states of itself, when no evidence agreeing with the maker names
    one (the brand of a relabelled unit)."""
    for item in evidence:  # strongest first
        brand = item.asserts.get("brand")
        if item.fingerprint.startswith("declared.vendor/") and isinstance(brand, str):
            return brand
    return None


def _dedupe(evidence: Iterable[Evidence]) -> list[Evidence]:
    """Keep one piece of evidence per fingerprint (the same banner on two ports counts once)."""
    best: dict[str, Evidence] = {}
    for item in evidence:
        current = best.get(item.fingerprint)
        if current is None or len(item.asserts) > len(current.asserts):
            best[item.fingerprint] = item
    return sorted(best.values(), key=lambda e: (-e.weight, e.fingerprint))


def _maker_votes(
    evidence: Iterable[Evidence], vocabulary: Vocabulary, model: str | None
) -> Iterable[_Vote]:
    for item in evidence:
        if item.asserts.get("generic") is True or item.weight <= 0:
            continue
        maker = item.asserts.get("manufacturer")
        if isinstance(maker, str):
            yield _Vote(maker, item.weight, item, False)
            continue
        brand = item.asserts.get("brand")
        if not isinstance(brand, str):
            continue
        relation = vocabulary.maker_of(brand)
        line_maker = vocabulary.line_maker(brand, model)
        if line_maker is not None:  # the brand's makers differ by line; the model code decides
            yield _Vote(line_maker, item.weight * 0.9, item, True)
        elif relation is not None:
            yield _Vote(relation.manufacturer, item.weight * relation.weight, item, True)
        elif vocabulary.canonical(brand) or item.fingerprint.startswith("declared.vendor/"):
            # a label nobody relabels is its own maker; a self-declared name camscan does
            # not know is taken at its word (its weight already says how far)
            yield _Vote(brand, item.weight * 0.8, item, True)


def _scores(votes: Iterable[_Vote]) -> dict[str, float]:
    remaining: dict[str, float] = defaultdict(lambda: 1.0)
    for vote in votes:
        remaining[vote.maker] *= 1.0 - min(vote.weight, 0.99)
    return {maker: 1.0 - rest for maker, rest in remaining.items()}


def _best_value(
    evidence: Sequence[Evidence], name: str, maker: str | None, vocabulary: Vocabulary
) -> str | None:
    """The value of `name` from the strongest evidence that agrees with the maker."""
    fallback: str | None = None
    for item in evidence:  # already strongest first
        value = item.asserts.get(name)
        if not isinstance(value, str) or not value:
            continue
        if maker is None or _agrees(item, maker, vocabulary):
            return value
        fallback = fallback or value
    return fallback if name != "brand" else None


def _agrees(item: Evidence, maker: str, vocabulary: Vocabulary) -> bool:
    said = item.asserts.get("manufacturer")
    if isinstance(said, str):
        return said == maker
    brand = item.asserts.get("brand")
    if isinstance(brand, str):
        relation = vocabulary.maker_of(brand)
        return brand == maker or (relation is not None and relation.manufacturer == maker)
    return True


def _device_type(evidence: Sequence[Evidence]) -> DeviceType | None:
    tally: dict[str, float] = defaultdict(float)
    for item in evidence:
        value = item.asserts.get("device_type")
        if isinstance(value, str) and value in DEVICE_TYPES:
            tally[value] += max(item.weight, 0.05)
    if not tally:
        return None
    best = max(sorted(tally), key=lambda t: tally[t])
    return _as_device_type(best)


def _kind(vocabulary: Vocabulary, *vendors: str | None) -> DeviceType | None:
    """The one kind of device a vendor makes (vocabulary.toml `kind`), brand first."""
    for vendor in vendors:
        kind = vocabulary.kind_of(vendor) if vendor else None
        if kind is not None:
            return _as_device_type(kind)
    return None


def _as_device_type(value: str) -> DeviceType | None:
    for known in DEVICE_TYPES:
        if value == known:
            return cast(DeviceType, known)
    return None


def _is_camera(evidence: Sequence[Evidence], device_type: DeviceType | None) -> bool | None:
    if device_type is not None:
        return device_type in CAMERA_TYPES
    tally = {True: 0.0, False: 0.0}
    for item in evidence:
        value = item.asserts.get("is_camera")
        if isinstance(value, bool) and item.asserts.get("generic") is not True:
            tally[value] += max(item.weight, 0.05)
    if tally[True] == tally[False]:
        return None
    return tally[True] > tally[False]


def _text(value: str | None) -> str | None:
    return value.strip()[:128] if value else None


def _label(item: Evidence) -> str:
    """A short name for a piece of evidence in the reason line."""
    text = item.description.strip()
    if text and (len(text) <= 48 or item.fingerprint.startswith("declared.vendor/")):
        return text
    value = item.observation.value.replace("\n", " ").strip()
    value = value if len(value) <= 32 else value[:29] + "..."
    return f"{item.observation.field} '{value}'"


def _with_reason(verdict: Verdict, votes: Sequence[_Vote]) -> Verdict:
    from dataclasses import replace

    maker = verdict.manufacturer
    if maker is None:
        generic = [e for e in verdict.evidence if e.asserts.get("generic") is True]
        names = ", ".join(_label(e) for e in generic[:2])
        reason = (
            f"maker unknown: only generic software ({names})"
            if generic
            else "maker unknown: no identifying evidence"
        )
        return replace(verdict, reason=reason)
    mine = [v for v in votes if v.maker == maker]
    parts = [_maker_part(maker, mine)]
    label_only = not any(not v.via_brand and not _is_oui(v) for v in mine)
    if verdict.brand and verdict.brand != maker and label_only and any(v.via_brand for v in mine):
        parts = [f"{maker} makes what is sold as {verdict.brand} (fingerprints/oem.toml)"]
    if verdict.brand and verdict.brand != maker:
        brand_votes = [v for v in votes if v.evidence.asserts.get("brand") == verdict.brand]
        basis = ", ".join(_label(v.evidence) for v in brand_votes[:2])
        parts.append(f"sold as {verdict.brand}" + (f" ({basis})" if basis else ""))
    if verdict.conflicts:
        parts.append("conflicting evidence for " + ", ".join(verdict.conflicts))
    return replace(verdict, reason="; ".join(parts))


def _maker_part(maker: str, votes: Sequence[_Vote]) -> str:
    """What the maker rests on: the platform itself, a label via the OEM table, or an OUI."""
    direct = [v for v in votes if not v.via_brand and not _is_oui(v)]
    labelled = [v for v in votes if v.via_brand and not _is_oui(v)]
    if direct:
        return f"{maker} platform (" + ", ".join(_label(v.evidence) for v in direct[:3]) + ")"
    if labelled:
        names = ", ".join(_label(v.evidence) for v in labelled[:2])
        if all(v.evidence.fingerprint.startswith("declared.vendor/") for v in labelled):
            return f"{maker} by its own word ({names})"
        return f"made by {maker} (label {names})"
    return f"probably {maker}: only the MAC's OUI ({_label(votes[0].evidence)})"


def _is_oui(vote: _Vote) -> bool:
    return vote.evidence.fingerprint.startswith("oui/")
