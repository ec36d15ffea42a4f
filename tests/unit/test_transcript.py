"""The educator's transcript: the five-year cycle and the units toward 60."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.transcript import Cycle, Entry, build_transcript, current_cycle, normalize_license


def entry(number: str, end: date, hours: str, status: str = "valid", name: str = "") -> Entry:
    return Entry(number, "Activity", None, end, end, Decimal(hours), status, name)


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 11, 23), date(2022, 7, 1), date(2027, 6, 30)),
        (date(2027, 6, 30), date(2022, 7, 1), date(2027, 6, 30)),
        (date(2027, 7, 1), date(2023, 7, 1), date(2028, 6, 30)),
        (date(2027, 1, 1), date(2022, 7, 1), date(2027, 6, 30)),
    ],
)
def test_without_an_expiry_date_the_cycle_is_five_school_years_ending_next_june_30(
    today: date, start: date, end: date
) -> None:
    assert current_cycle(today) == Cycle(start, end)


def test_a_license_expiry_date_sets_the_five_years_ending_that_day() -> None:
    assert current_cycle(date(2026, 11, 23), expires=date(2029, 6, 30)) == Cycle(
        date(2024, 7, 1), date(2029, 6, 30)
    )
    assert current_cycle(date(2026, 1, 1), expires=date(2028, 2, 29)) == Cycle(
        date(2023, 3, 1), date(2028, 2, 29)
    )


def test_valid_certificates_in_the_cycle_add_up_toward_sixty() -> None:
    cycle = Cycle(date(2022, 7, 1), date(2027, 6, 30))
    transcript = build_transcript(
        "123456",
        [
            entry("PDU-2026-000001", date(2026, 11, 20), "12"),
            entry("PDU-2025-000007", date(2025, 3, 1), "6.5"),
            entry("PDU-2026-000002", date(2026, 11, 21), "15", status="revoked"),
            entry("PDU-2021-000003", date(2022, 6, 30), "30"),  # the cycle before
        ],
        cycle,
    )
    assert transcript.total == Decimal("18.5")
    assert transcript.remaining == Decimal("41.5")
    assert not transcript.complete
    counted = [(line.entry.number, line.in_cycle, line.counts) for line in transcript.lines]
    assert counted == [
        ("PDU-2026-000002", True, False),
        ("PDU-2026-000001", True, True),
        ("PDU-2025-000007", True, True),
        ("PDU-2021-000003", False, False),
    ]


def test_sixty_units_or_more_leave_nothing_to_go() -> None:
    cycle = Cycle(date(2022, 7, 1), date(2027, 6, 30))
    transcript = build_transcript(
        "123456",
        [entry(f"PDU-2026-{i:06d}", date(2026, 1, i), "15") for i in range(1, 6)],
        cycle,
    )
    assert transcript.total == 75
    assert transcript.remaining == 0
    assert transcript.complete


def test_a_certificate_counts_by_its_last_day_on_the_cycle_boundary() -> None:
    cycle = Cycle(date(2022, 7, 1), date(2027, 6, 30))
    transcript = build_transcript(
        "1",
        [entry("A", date(2027, 6, 30), "3"), entry("B", date(2027, 7, 1), "4")],
        cycle,
    )
    assert transcript.total == 3


def test_the_holder_name_is_the_one_on_the_latest_certificate() -> None:
    cycle = Cycle(date(2022, 7, 1), date(2027, 6, 30))
    transcript = build_transcript(
        "1",
        [
            entry("A", date(2025, 1, 1), "3", name="Maria Runing Crane"),
            entry("B", date(2026, 1, 1), "3", name="Maria Running Crane"),
        ],
        cycle,
    )
    assert transcript.holder_name == "Maria Running Crane"


def test_license_numbers_compare_without_case_or_spaces() -> None:
    assert normalize_license(" mt 48213 ") == "MT48213"
    assert normalize_license("MT-48213") == "MT-48213"
