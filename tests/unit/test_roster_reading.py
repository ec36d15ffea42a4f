"""Rosters as spreadsheets export them: every encoding and separator Excel, LibreOffice and
Google Sheets write is read to the same rows; a file mixing encodings is refused by line."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from models.services.errors import UserError
from models.services.roster import MAX_BYTES, MAX_ROWS, parse

HEADER = "first_name,last_name,email,license_number,hours"
ROWS = [
    "José,Núñez,jose@school.example,777777,6",
    "Zoë,O'Brien-Smith,zoe@school.example,888888,6.5",
]
EXPECTED = [
    ("José", "Núñez", "jose@school.example", "777777", Decimal("6")),
    ("Zoë", "O'Brien-Smith", "zoe@school.example", "888888", Decimal("6.5")),
]


def rows_of(content: bytes) -> list[tuple[str, str, str, str, Decimal]]:
    roster = parse(content, Decimal("12"))
    assert roster.problems == []
    return [(r.first_name, r.last_name, r.email, r.license_number, r.hours) for r in roster.rows]


def text(separator: str = ",", newline: str = "\r\n") -> str:
    return newline.join(line.replace(",", separator) for line in [HEADER, *ROWS]) + newline


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(text().encode("utf-8"), id="utf-8"),
        pytest.param(text().encode("utf-8-sig"), id="utf-8 with BOM (Excel: CSV UTF-8)"),
        pytest.param(text().encode("cp1252"), id="windows-1252 (Excel: CSV)"),
        pytest.param(text().encode("utf-16"), id="utf-16 with BOM (Excel: Unicode text)"),
        pytest.param(text().encode("utf-16-le"), id="utf-16-le without BOM"),
        pytest.param(text().encode("utf-16-be"), id="utf-16-be without BOM"),
        pytest.param(text(";").encode("cp1252"), id="semicolons (a comma-decimal locale)"),
        pytest.param(text("\t").encode("utf-16"), id="tabs (Excel: Unicode text)"),
        pytest.param((text() + "\r\n\r\n").encode(), id="blank trailing lines"),
        pytest.param(text(newline="\n").encode(), id="unix line ends"),
    ],
)
def test_a_roster_is_read_the_same_whatever_the_spreadsheet_saved(encoded: bytes) -> None:
    assert rows_of(encoded) == EXPECTED


def test_quoted_fields_keep_their_commas_quotes_and_line_breaks() -> None:
    content = (
        f'{HEADER}\r\n"Mary ""Molly""","Smith, Jr.",molly@school.example,999999,"3"\r\n'
    ).encode()
    assert rows_of(content) == [
        ('Mary "Molly"', "Smith, Jr.", "molly@school.example", "999999", Decimal("3"))
    ]


def test_hours_with_a_decimal_comma_are_read_in_a_semicolon_roster() -> None:
    content = f"{HEADER.replace(',', ';')}\nAnna;Berg;anna@school.example;111111;6,5\n".encode()
    assert rows_of(content)[0][4] == Decimal("6.5")


def test_vietnamese_and_cyrillic_names_come_through_unchanged() -> None:
    content = (
        f"{HEADER}\nNguyễn Thị,Minh Khai,khai@school.example,234567,6.5\n"
        "Александра,Кузнецова,sasha@school.example,456789,2\n"
    ).encode("utf-8-sig")
    assert [r[:2] for r in rows_of(content)] == [
        ("Nguyễn Thị", "Minh Khai"),
        ("Александра", "Кузнецова"),
    ]


def test_a_file_mixing_utf8_and_windows_1252_lines_is_refused_at_the_first_odd_line() -> None:
    content = f"{HEADER}\nZoë,A,zoe@school.example,1,1\n".encode()
    content += "José,Núñez,jose@school.example,777777,6\n".encode("cp1252")
    with pytest.raises(UserError, match=r"line 3: this line is not in the encoding"):
        parse(content, Decimal("12"))


def test_a_roster_over_the_row_limit_is_refused_plainly_and_quickly() -> None:
    lines = [f"A{i},B{i},p{i}@school.example,{100000 + i},1" for i in range(10_000)]
    content = (HEADER + "\n" + "\n".join(lines) + "\n").encode()
    started = time.monotonic()
    roster = parse(content, Decimal("12"))
    assert time.monotonic() - started < 5
    assert [str(p) for p in roster.problems] == [
        f"line {MAX_ROWS + 2}: more than {MAX_ROWS} attendees: split it"
    ]


def test_a_file_larger_than_the_limit_is_refused_in_plain_words() -> None:
    with pytest.raises(UserError, match=r"the roster is larger than 5 MB"):
        parse(b"x" * (MAX_BYTES + 1), Decimal("12"))
