"""Provider passwords (NIST SP 800-63B): length, the shipped common list, names; argon2id."""

from __future__ import annotations

import gzip

from models.passwords import (
    COMMON,
    MAX_LENGTH,
    common_passwords,
    hash_password,
    password_matches,
    password_problem,
)


def test_the_shipped_list_holds_about_twenty_thousand_lower_case_common_passwords():
    with gzip.open(COMMON, "rt", encoding="utf-8") as lines:
        assert sum(1 for _ in lines) > 19_000
    assert {"password", "123456", "iloveyou", "qwertyuiop123"} <= common_passwords()


def test_length_counts_characters_from_12_to_128_and_any_character_is_allowed():
    assert "12 characters" in (password_problem("elevenchars") or "")
    assert password_problem("twelve chars") is None
    assert password_problem("ü" * 6 + "ñ日本語テスト") is None  # no composition rule, any script
    longest = "correct horse " * 9 + "ab"
    assert len(longest) == MAX_LENGTH and password_problem(longest) is None
    assert "at most 128" in (password_problem("long passphrase " * 9) or "")


def test_a_common_password_is_refused_whatever_its_case_or_spacing():
    for common in ("password1234", "Qwertyuiop123", "qwerty 123456"):
        assert "most common" in (password_problem(common) or ""), common


def test_a_password_holding_the_username_or_the_organisation_is_refused():
    assert "username" in (password_problem("hello-JDoe-2026!", username="JDoe") or "")
    problem = password_problem("i work at billings schools", organization="Billings Schools")
    assert "organisation" in (problem or "")
    assert password_problem("aaaaaaaaaaaaaaaa") is not None  # one character repeated


def test_hashes_are_argon2id_salted_and_match_the_same_text_typed_another_way():
    first, second = hash_password("Crème brûlée recipe"), hash_password("Crème brûlée recipe")
    assert first.startswith("$argon2id$") and first != second
    decomposed = "Cre\u0300me bru\u0302le\u0301e recipe"  # the same letters, NFD
    assert password_matches(first, decomposed)
    assert not password_matches(first, "creme brulee recipe")
    assert not password_matches(None, "anything at all") and not password_matches("junk", "x")
