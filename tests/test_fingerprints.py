"""The recog-style self-test: every fingerprint example matches its own entry, first."""

from __future__ import annotations

import pytest

from scanner.recognize.fingerprints import Database, Fingerprint, load_database

DATABASE: Database = load_database()
ENTRIES: list[Fingerprint] = list(DATABASE.all())


def test_database_is_large_enough() -> None:
    """The shipped database holds the 150+ entries the foundation issue asks for."""
    assert len(DATABASE) >= 150


def test_every_field_file_is_known() -> None:
    """Each fingerprint file is named after an observation field and holds only that field."""
    for field, entries in DATABASE.by_field.items():
        assert all(entry.field == field for entry in entries)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_examples_match_their_entry_first(entry: Fingerprint) -> None:
    """Each example matches its entry, extracts what it claims, and no earlier entry shadows it."""
    siblings = [e for e in DATABASE.by_field[entry.field] if e.key == entry.key]
    earlier = siblings[: siblings.index(entry)]
    for example in entry.examples:
        asserted = entry.match(example.value)
        assert asserted is not None, f"{entry.id} does not match its example {example.value!r}"
        for name, expected in example.expect.items():
            assert asserted.get(name) == expected, f"{entry.id}: {name} of {example.value!r}"
        shadows = [e.id for e in earlier if e.match(example.value) is not None]
        assert not shadows, f"{entry.id}: example {example.value!r} is matched first by {shadows}"


def test_generic_entries_name_no_maker() -> None:
    """Generic software (Boa, GoAhead, ...) carries no maker and no weight."""
    for entry in ENTRIES:
        if entry.asserts.get("generic") is True:
            assert "manufacturer" not in entry.asserts and "brand" not in entry.asserts, entry.id
            assert entry.weight == 0, entry.id
