"""OPI's decision tree, branch by branch and in order, and tolerant directory matching."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from models.forms import PreapprovalForm, validate_form
from models.triage import (
    DirectoryEntry,
    TriageRule,
    district_name,
    explain_match,
    match_directory,
    normalize_org_name,
    triage,
)
from tests.e2e.forms import PREAPPROVAL

TODAY = date(2026, 11, 23)  # the published activity starts on 2026-12-07

BILLINGS = DirectoryEntry(1, "Billings Public Schools", "Pat Lee", "pd@billings.example",
                          "school_district")  # fmt: skip
BIG_SKY = DirectoryEntry(2, "Big Sky Learning Collaborative", "Jo Ellen Hart",
                         "pd@bigsky.example", "educational_organization")  # fmt: skip
LAME_DEER = DirectoryEntry(3, "Lame Deer School District No. 6", "Sam Two Moons",
                           "pd@lamedeer.example", "other")  # fmt: skip
HELENA = DirectoryEntry(4, "Helena Public Schools", "Kim Roe", "pd@helena.example",
                        "school_district")  # fmt: skip
LAUREL = DirectoryEntry(5, "Laurel School District 7-70", "Lou Ng", "pd@laurel.example",
                        "school_district")  # fmt: skip
MSU = DirectoryEntry(6, "Montana State University", "Chris Park", "pd@msu.example",
                     "college_university")  # fmt: skip
DIRECTORY = [BILLINGS, BIG_SKY, LAME_DEER, HELENA, LAUREL, MSU]


def request(**changes: Any) -> PreapprovalForm:
    """The published request with changes (`activity__provider=...`); always valid."""
    data = copy.deepcopy(PREAPPROVAL)
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    form, problems = validate_form("preapproval", data)
    assert form is not None, problems
    return form


NOT_APPROVED = {"activity__provider": "Prairie Learning Partners", "employer": "Nowhere Academy"}


# --- The tree, one branch at a time, in OPI's order ----------------------------------------


def test_1_an_educator_without_a_montana_license_is_declined() -> None:
    decision = triage(request(educator__license_status="none"), TODAY, DIRECTORY)
    assert decision.outcome == "declined"
    assert decision.rule == TriageRule.NOT_LICENSED == "declined_not_licensed"
    assert "only for licensed Montana educators" in decision.reason
    assert decision.matched is None


@pytest.mark.parametrize("status", ["current", "reinstatement"])
def test_1_a_current_or_reinstating_license_goes_on(status: str) -> None:
    decision = triage(request(educator__license_status=status, **NOT_APPROVED), TODAY, [])
    assert decision.outcome == "review"


@pytest.mark.parametrize(
    ("request_type", "words"),
    [("pir", "PIR days"), ("salary_lane", "salary lane changes"), ("step_up", "step-up")],
)
def test_2_pir_salary_lane_and_step_up_are_redirected_to_the_local_district(
    request_type: str, words: str
) -> None:
    decision = triage(request(request_type=request_type), TODAY, DIRECTORY)
    assert decision.outcome == "redirected"
    assert decision.rule == TriageRule.DISTRICT_DECIDES
    assert words in decision.reason and "ARM 10.55.714(2)" in decision.reason
    assert decision.matched is None  # the applicant's own district, whoever it is


def test_3_a_micro_credential_is_declined_with_what_can_earn_units() -> None:
    decision = triage(request(request_type="micro_credential", **NOT_APPROVED), TODAY, DIRECTORY)
    assert decision.outcome == "declined"
    assert decision.rule == TriageRule.MICRO_CREDENTIAL
    assert "does not accept micro-credentials" in decision.reason
    assert "approved provider" in decision.reason
    assert decision.matched is None


def test_3_a_micro_credential_from_an_approved_provider_names_whom_to_ask() -> None:
    decision = triage(request(request_type="micro_credential"), TODAY, DIRECTORY)
    assert decision.outcome == "declined"
    assert "Jo Ellen Hart (pd@bigsky.example)" in decision.reason


def test_4_an_activity_by_an_approved_provider_is_redirected_to_that_provider() -> None:
    form = request(activity__provider="Big Sky Learning Collaborative, Inc.")
    decision = triage(form, TODAY, DIRECTORY)
    assert decision.outcome == "redirected"
    assert decision.rule == TriageRule.APPROVED_PROVIDER
    assert decision.matched == BIG_SKY
    assert "Big Sky Learning Collaborative is an OPI-approved" in decision.reason
    assert decision.notes == [
        "provider 'Big Sky Learning Collaborative, Inc.' matched directory entry "
        "'Big Sky Learning Collaborative' (#2, exact name)"
    ]


def test_5_an_employer_that_is_an_approved_district_is_redirected_to_the_district() -> None:
    form = request(activity__provider="Prairie Learning Partners", employer="Billings SD #2")
    decision = triage(form, TODAY, DIRECTORY)
    assert decision.outcome == "redirected"
    assert decision.rule == TriageRule.EMPLOYER_PROVIDER
    assert decision.matched == BILLINGS
    assert "Billings Public Schools" in decision.reason
    assert decision.notes[-1] == (
        "employer 'Billings SD #2' matched directory entry 'Billings Public Schools' "
        "(#1, district name)"
    )


def test_5_a_district_entered_without_a_kind_still_counts_by_its_name() -> None:
    form = request(activity__provider="Prairie Learning Partners")  # Lame Deer Public Schools
    decision = triage(form, TODAY, DIRECTORY)
    assert decision.outcome == "redirected" and decision.matched == LAME_DEER


def test_5_an_employer_that_is_an_approved_provider_but_not_a_school_goes_to_review() -> None:
    form = request(activity__provider="Prairie Learning Partners", employer="Montana State Univ")
    assert triage(form, TODAY, DIRECTORY).outcome == "review"
    form = request(
        activity__provider="Prairie Learning Partners", employer="Montana State University"
    )
    decision = triage(form, TODAY, DIRECTORY)
    assert decision.outcome == "review"
    assert "not a school or district" in decision.notes[-1]


def test_6_anything_else_goes_to_review_with_notes_for_the_reviewer() -> None:
    decision = triage(request(**NOT_APPROVED), TODAY, DIRECTORY)
    assert decision.outcome == "review"
    assert decision.rule == TriageRule.REVIEW
    assert decision.matched is None and decision.retroactive is False
    assert decision.notes == [
        "provider 'Prairie Learning Partners' is not in the approved provider directory",
        "employer 'Nowhere Academy' is not in the approved provider directory",
    ]


def test_6_a_request_without_an_employer_says_so_in_the_notes() -> None:
    form = request(activity__provider="Prairie Learning Partners", employer="")
    assert "no employer given" in triage(form, TODAY, DIRECTORY).notes


def test_6_a_request_whose_activity_already_started_is_flagged_retroactive() -> None:
    form = request(**NOT_APPROVED)
    decision = triage(form, date(2026, 12, 8), DIRECTORY)
    assert decision.outcome == "review" and decision.retroactive is True
    assert "retroactive" in decision.reason
    assert (
        decision.notes[-1] == "retroactive: the activity started on 2026-12-07, before 2026-12-08"
    )
    assert triage(form, date(2026, 12, 7), DIRECTORY).retroactive is False  # starts today


# --- Precedence: the first rule that applies decides ----------------------------------------


def test_an_unlicensed_educator_asking_for_pir_is_declined_not_redirected() -> None:
    form = request(educator__license_status="none", request_type="pir")
    assert triage(form, TODAY, DIRECTORY).rule == TriageRule.NOT_LICENSED


def test_an_unlicensed_educator_with_an_approved_provider_is_declined() -> None:
    form = request(educator__license_status="none")
    assert triage(form, TODAY, DIRECTORY).outcome == "declined"


def test_pir_days_with_an_approved_provider_go_to_the_district_not_the_provider() -> None:
    decision = triage(request(request_type="salary_lane"), TODAY, DIRECTORY)
    assert decision.rule == TriageRule.DISTRICT_DECIDES and decision.matched is None


def test_the_provider_wins_over_the_employer_when_both_are_approved() -> None:
    decision = triage(request(employer="Billings Public Schools"), TODAY, DIRECTORY)
    assert decision.rule == TriageRule.APPROVED_PROVIDER and decision.matched == BIG_SKY


def test_an_empty_directory_sends_everything_licensed_to_review() -> None:
    assert triage(request(), TODAY, []).outcome == "review"


# --- Name matching ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Big Sky Learning Collaborative, Inc.", "big sky learning collaborative"),
        ("The Big Sky Learning Collaborative LLC", "big sky learning collaborative"),
        ("BIG SKY LEARNING COLLABORATIVE CO., LTD.", "big sky learning collaborative"),
        ("Big Sky Learning Collaborative Corp", "big sky learning collaborative"),
        ("Arts & Sciences Institute", "arts and sciences institute"),
        ("École Française de Bozeman", "ecole francaise de bozeman"),
        ("St. Mary's Learning Center", "st marys learning center"),
        ("Billings S.D. #2", "billings sd 2"),
        ("The Company", "company"),  # never the whole name
        ("  ", ""),
    ],
)
def test_normalized_names_ignore_case_accents_punctuation_and_legal_suffixes(
    name: str, normalized: str
) -> None:
    assert normalize_org_name(name) == normalized


@pytest.mark.parametrize(
    ("name", "entry", "how"),
    [
        ("big sky learning collaborative", BIG_SKY, "exact name"),
        ("The Big Sky Learning Collaborative, L.L.C.", BIG_SKY, "exact name"),
        ("BigSky Learning Collaborative", BIG_SKY, "spacing"),
        ("Billings Public Schools", BILLINGS, "exact name"),
        ("Billings School District No. 2", BILLINGS, "district name"),
        ("Billings SD #2", BILLINGS, "district name"),
        ("School District 2 Billings", BILLINGS, "district name"),
        ("Billings Elementary School District 2", BILLINGS, "district name"),
        ("Lame Deer Public Schools", LAME_DEER, "district name"),
        ("Helena School District No. 1", HELENA, "district name"),
        ("Laurel SD 7", LAUREL, "district name"),
        ("Laurel Public Schools", LAUREL, "district name"),
    ],
)
def test_variants_of_an_approved_name_match_it(name: str, entry: DirectoryEntry, how: str) -> None:
    match = explain_match(name, DIRECTORY)
    assert (match.entry, match.how) == (entry, how)
    assert match_directory(name, DIRECTORY) == entry


@pytest.mark.parametrize(
    "name",
    [
        "Big Sky Learning",  # a shorter name is another organization
        "Big Sky Learning Collaborative West",
        "East Helena Public Schools",  # another place
        "Billings Catholic Schools",  # a private school system in the same town
        "Billings Senior High School",  # a school, not the district
        "Public Schools",  # no place at all
        "Laurel SD 8",  # same town, another district number
        "Montana State University Billings",
        "",
    ],
)
def test_names_that_only_resemble_an_approved_name_do_not_match(name: str) -> None:
    assert match_directory(name, DIRECTORY) is None


def test_two_different_districts_never_match_because_both_are_public_schools() -> None:
    assert match_directory("Helena Public Schools", [BILLINGS]) is None
    assert match_directory("Billings Public Schools", [HELENA]) is None


def test_an_exact_match_is_preferred_over_a_district_variant() -> None:
    second = DirectoryEntry(9, "Billings School District No. 2", "Ann", "ann@x.example", "other")
    assert match_directory("Billings School District No. 2", [BILLINGS, second]) == second


def test_a_variant_that_fits_two_entries_is_ambiguous_and_matches_nothing() -> None:
    elementary = DirectoryEntry(9, "Harlem Elementary SD 12", "A", "a@x.example", "other")
    high = DirectoryEntry(10, "Harlem High School District 12", "B", "b@x.example", "other")
    match = explain_match("Harlem Public Schools", [elementary, high])
    assert match.entry is None and match.how == "ambiguous"
    assert set(match.candidates) == {elementary, high}


def test_an_ambiguous_employer_goes_to_review_with_a_note() -> None:
    one = DirectoryEntry(9, "Harlem Elementary SD 12", "A", "a@x.example", "school_district")
    two = DirectoryEntry(10, "Harlem High School District 12", "B", "b@x.example", "other")
    form = request(activity__provider="Prairie Learning Partners", employer="Harlem Schools")
    decision = triage(form, TODAY, [one, two])
    assert decision.outcome == "review"
    assert "resembles several directory entries" in decision.notes[-1]


@pytest.mark.parametrize(
    ("name", "place", "numbers"),
    [
        ("Billings Public Schools", "billings", set()),
        ("Billings School District No. 2", "billings", {"2"}),
        ("School District 2 Billings", "billings", {"2"}),
        ("Laurel School District 7 and 70", "laurel", {"7", "70"}),
        ("Dutton/Brady K-12 Schools", "dutton brady", set()),
        ("Lewis and Clark County Schools", "lewis and clark county", set()),
    ],
)
def test_a_district_name_gives_its_place_and_numbers(
    name: str, place: str, numbers: set[str]
) -> None:
    district = district_name(name)
    assert district is not None
    assert (district.place, set(district.numbers)) == (place, numbers)


@pytest.mark.parametrize(
    "name", ["Big Sky Learning Collaborative", "Billings Senior High School", "Public Schools"]
)
def test_a_name_that_is_not_a_district_has_no_district_name(name: str) -> None:
    assert district_name(name) is None
