"""Secrets sealed at rest (models/sealed.py): AES-GCM under a key derived from the
deployment's secret, bound to their row, readable after a key rotation."""

from __future__ import annotations

import pytest

from models.sealed import SealError, is_sealed, seal, unseal

OLD, NEW = "o" * 43, "n" * 43
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_sealed_value_opens_with_its_key_and_does_not_show_the_plain_value() -> None:
    sealed = seal(SECRET, NEW, "row|1")
    assert is_sealed(sealed) and SECRET not in sealed and len(sealed) <= 200
    opened = unseal(sealed, [NEW], "row|1")
    assert opened.plain == SECRET and not opened.stale


def test_sealing_twice_gives_two_different_values() -> None:
    assert seal(SECRET, NEW, "row|1") != seal(SECRET, NEW, "row|1")


def test_a_value_copied_into_another_row_does_not_open() -> None:
    with pytest.raises(SealError):
        unseal(seal(SECRET, NEW, "row|1"), [NEW], "row|2")


def test_after_a_rotation_the_earlier_key_still_opens_and_the_value_is_marked_for_resealing() -> (
    None
):
    sealed = seal(SECRET, OLD, "row|1")
    opened = unseal(sealed, [NEW, OLD], "row|1")
    assert opened.plain == SECRET and opened.stale


def test_a_value_whose_key_was_dropped_is_refused_in_plain_words() -> None:
    with pytest.raises(SealError, match="no configured secret key"):
        unseal(seal(SECRET, OLD, "row|1"), [NEW], "row|1")


def test_a_plain_value_from_before_sealing_is_read_and_marked_for_resealing() -> None:
    opened = unseal(SECRET, [NEW], "row|1")
    assert opened.plain == SECRET and opened.stale
