"""OPI's username rule: first initial + last name, letters only, unique ignoring case."""

from __future__ import annotations

import pytest

from models.usernames import MAX_LENGTH, make_username


@pytest.mark.parametrize(
    ("first", "last", "username"),
    [
        ("John", "Doe", "JDoe"),
        ("Jane", "O'Brien", "JOBrien"),
        ("Anne-Marie", "O'Brien", "AOBrien"),
        ("José", "Núñez", "JNunez"),
        ("Mary", "Van Der Berg", "MVanDerBerg"),
        ("Luis", "de la Cruz", "LDeLaCruz"),
        ("Ann", "Smith-Jones", "ASmithJones"),
        ("J", "Doe", "JDoe"),
        ("J.", "Doe", "JDoe"),
        ("Ronald", "McDonald", "RMcDonald"),
        ("jane", "DOE", "JDoe"),
        ("zoë", "ødegård", "ZOdegard"),
        ("Ægir", "Þórsson", "AThorsson"),
        ("Иван", "Петров", "IPetrov"),
        ("Γιώργος", "Παπαδόπουλος", "GPapadopoulos"),
    ],
)
def test_the_username_is_the_first_initial_and_the_surname_letters(
    first: str, last: str, username: str
) -> None:
    assert make_username(first, last, taken=set()) == username


@pytest.mark.parametrize(
    ("first", "last", "username"),
    [
        ("明", "王", "MWang"),
        ("", "王明", "WangMing"),
        ("محمد", "علي", "MLy"),
        ("다은", "김", "DGim"),
        ("Yuki", "佐藤", "YZuoTeng"),  # anyascii reads kanji as Chinese: still OPI's rule
        ("Wei", "王", "WWang"),
    ],
)
def test_scripts_the_table_lacks_are_transliterated_by_anyascii_under_opis_rule(
    first: str, last: str, username: str
) -> None:
    assert make_username(first, last, taken=set()) == username


def test_a_surname_with_no_letters_at_all_falls_back_to_the_first_name_then_user() -> None:
    assert make_username("Wei", "☺", taken=set()) == "Wei"
    assert make_username("☺", "—", taken=set()) == "User"
    assert make_username("☺", "—", taken={"user"}) == "User2"


def test_a_taken_username_gets_the_next_number() -> None:
    assert make_username("John", "Doe", taken={"JDoe"}) == "JDoe2"
    assert make_username("John", "Doe", taken={"JDoe", "JDoe2"}) == "JDoe3"
    assert make_username("Jane", "Doe", taken={"JDoe", "JDoe3"}) == "JDoe2"


def test_collisions_ignore_case() -> None:
    assert make_username("John", "Doe", taken=["jdoe"]) == "JDoe2"
    assert make_username("John", "Doe", taken=["JDOE", "jdoe2"]) == "JDoe3"


def test_an_unrelated_taken_name_does_not_matter() -> None:
    assert make_username("John", "Doe", taken={"JDoe2", "JDoering"}) == "JDoe"


def test_a_long_name_is_cut_to_the_windows_logon_limit_even_with_its_number() -> None:
    first = make_username("Hubert", "Wolfeschlegelsteinhausenbergerdorff", taken=())
    assert first == "HWolfeschlegelsteinh" and len(first) == MAX_LENGTH == 20
    second = make_username("Hubert", "Wolfeschlegelsteinhausenbergerdorff", taken=[first])
    assert second == "HWolfeschlegelstein2" and len(second) == MAX_LENGTH


def test_a_username_is_plain_ascii_letters_and_digits() -> None:
    name = make_username("Renée", "D'Arcy-Ó Súilleabháin", taken={"RDArcyOSuilleabhain"})
    assert name.isascii() and name.isalnum()
    assert name == "RDArcyOSuilleabhain2"
