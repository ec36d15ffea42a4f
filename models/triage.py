"""OPI's decision tree for a pre-approval request, and tolerant matching of organization names.

Pure: the caller passes the validated form, `today` and the approved provider directory.

The tree, in OPI's order (the first rule that applies decides):
1. no Montana license                        -> declined
2. PIR days, salary lane, step-up credit      -> redirected to the local district
3. a micro-credential                          -> declined, with what can earn units
4. the provider is an approved provider        -> redirected to that provider
5. the employer is an approved school/district -> redirected to the district
6. otherwise                                   -> review (flagged retroactive if started)

Name matching, most certain first; a tier that finds two different entries is ambiguous
and matches nothing (a reviewer decides; a wrong redirect would close the request):
1. exact: `normalize_org_name` equal (case, accents, punctuation, "&"/"and", a leading
   "The", trailing legal suffixes such as Inc., LLC, Co., Corp., Ltd.);
2. spacing: equal once spaces are removed ("BigSky Learning" / "Big Sky Learning");
3. district: both names are school-district names ("Public Schools", "School District
   No. 2", "SD #2", "K-12 Schools"...) for the same place, and when both carry district
   numbers, the numbers share one ("Laurel 7-70" / "Laurel SD 7"). The place must be
   identical: "East Helena" is not "Helena", "Billings Catholic Schools" is not
   "Billings Public Schools", and "Public Schools" alone names no place, so it never
   matches. A single school ("Billings Senior High School") is not a district name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Literal

from models.forms import PreapprovalForm, is_retroactive

Outcome = Literal["declined", "redirected", "review"]


@dataclass(frozen=True)
class DirectoryEntry:
    """An approved provider as triage sees it."""

    id: int
    name: str
    contact_name: str | None
    contact_email: str
    kind: str  # models.enums.ProviderKind value


class TriageRule(StrEnum):
    """Stable codes stored on the case (`cases.triage_rule`, 40 characters at most)."""

    NOT_LICENSED = "declined_not_licensed"
    DISTRICT_DECIDES = "redirected_district_decides"
    MICRO_CREDENTIAL = "declined_micro_credential"
    APPROVED_PROVIDER = "redirected_approved_provider"
    EMPLOYER_PROVIDER = "redirected_employer_is_provider"
    REVIEW = "review"


@dataclass(frozen=True)
class TriageDecision:
    outcome: Outcome
    rule: str
    reason: str  # for the applicant, in plain words
    matched: DirectoryEntry | None = None
    retroactive: bool = False
    notes: list[str] = field(default_factory=list)  # for the timeline and the reviewer


# --- Name matching -----------------------------------------------------------------------

_LEGAL_SUFFIXES = frozenset(
    {"inc", "incorporated", "llc", "pllc", "llp", "lp", "co", "company", "corp",
     "corporation", "ltd", "limited"}
)  # fmt: skip
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l"})


def normalize_org_name(name: str) -> str:
    """A canonical form of an organization's name: equal means the same name.

    Lower case, accents folded, "&" read as "and", apostrophes and periods dropped
    ("St. Mary's" -> "st marys", "S.D." -> "sd"), other punctuation as spaces, a leading
    "The" and trailing legal suffixes removed (never the whole name).
    """
    text = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("&", " and ")
    text = re.sub(r"['’ʼ`]", "", text)
    text = re.sub(r"(?<=\b\w)\.", "", text)  # initials: S.D. -> SD, U.S. -> US
    tokens = re.sub(r"[^\w]+|_", " ", text).split()
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1] in _LEGAL_SUFFIXES:
        tokens = tokens[:-1]
    return " ".join(tokens)


# Words that say "a school district" and are not part of its place name.
_DISTRICT_WORDS = frozenset(
    {"public", "schools", "school", "district", "dist", "sd", "no", "nos", "number",
     "elementary", "elem", "unified", "joint", "k"}
)  # fmt: skip
_DISTRICT_PHRASES = tuple(
    f" {phrase} "
    for phrase in ("public schools", "public school", "school district", "school dist",
                   "schools", "elementary district")
)  # fmt: skip
_NUMBERED_DISTRICT = re.compile(r"\b(?:sd|district|dist)(?: no| number)? \d+[a-z]?\b|\bsd $")
_NUMBER = re.compile(r"^(\d+)[a-z]?$")  # 2, 44j


@dataclass(frozen=True)
class DistrictName:
    place: str  # "billings"
    numbers: frozenset[str]  # {"2"}; empty when the name gives none


def _between_numbers(tokens: list[str], i: int) -> bool:
    return bool(_NUMBER.match(tokens[i - 1]) and _NUMBER.match(tokens[i + 1]))


def district_name(name: str) -> DistrictName | None:
    """The place and numbers of a school-district name, or None if it is not one.

    "Billings Public Schools", "Billings School District No. 2", "Billings SD #2" and
    "School District 2 Billings" all give place "billings" (the last three number 2).
    """
    normalized = normalize_org_name(name)
    text = f" {normalized} "
    is_district = any(phrase in text for phrase in _DISTRICT_PHRASES) or bool(
        _NUMBERED_DISTRICT.search(text)
    )
    if not is_district:
        return None
    text = re.sub(r"\bk \d+\b", " ", text)  # K-12, K-8: grades, not a district number
    text = re.sub(r"\bhigh (?=school)", " ", text)  # "high school district": same place
    tokens = text.split()
    numbers = frozenset(str(int(m[1])) for t in tokens if (m := _NUMBER.match(t)))
    place = [
        t
        for i, t in enumerate(tokens)
        if t not in _DISTRICT_WORDS
        and not _NUMBER.match(t)
        # "7 and 70": joins two numbers, not part of the place ("Lewis and Clark" keeps it)
        and not (t == "and" and 0 < i < len(tokens) - 1 and _between_numbers(tokens, i))
    ]
    return DistrictName(" ".join(place), numbers) if place else None


@dataclass(frozen=True)
class DirectoryMatch:
    entry: DirectoryEntry | None
    how: str  # "exact name", "spacing", "district name", "ambiguous", "none"
    candidates: tuple[DirectoryEntry, ...] = ()


def _one(found: list[DirectoryEntry], how: str) -> DirectoryMatch | None:
    unique = {entry.id: entry for entry in found}
    if len(unique) == 1:
        return DirectoryMatch(found[0], how, (found[0],))
    if len(unique) > 1:
        return DirectoryMatch(None, "ambiguous", tuple(unique.values()))
    return None


def explain_match(name: str, entries: Sequence[DirectoryEntry]) -> DirectoryMatch:
    """The directory entry a name refers to, and how it was matched (for the notes)."""
    wanted = normalize_org_name(name)
    if not wanted:
        return DirectoryMatch(None, "none")
    normalized = [(entry, normalize_org_name(entry.name)) for entry in entries]
    exact = _one([e for e, n in normalized if n == wanted], "exact name")
    if exact is not None:
        return exact
    compact = wanted.replace(" ", "")
    spacing = _one([e for e, n in normalized if n.replace(" ", "") == compact], "spacing")
    if spacing is not None:
        return spacing
    district = district_name(name)
    if district is not None:
        found = []
        for entry, _ in normalized:
            other = district_name(entry.name)
            if other is None or other.place != district.place:
                continue
            if district.numbers and other.numbers and not district.numbers & other.numbers:
                continue  # same place, different districts (elementary 3 vs 7, say)
            found.append(entry)
        match = _one(found, "district name")
        if match is not None:
            return match
    return DirectoryMatch(None, "none")


def match_directory(name: str, entries: Sequence[DirectoryEntry]) -> DirectoryEntry | None:
    """The one approved provider `name` refers to, or None (no match, or ambiguous)."""
    return explain_match(name, entries).entry


# --- The decision tree -------------------------------------------------------------------

_DISTRICT_MATTERS = {
    "pir": "PIR days",
    "salary_lane": "salary lane changes",
    "step_up": '"step-up" credit',
}


def _contact(entry: DirectoryEntry) -> str:
    if entry.contact_name and entry.contact_name != entry.name:
        return f"{entry.contact_name} ({entry.contact_email})"
    return entry.contact_email


def _match_note(role: str, name: str, match: DirectoryMatch) -> str:
    if match.entry is not None:
        return (
            f"{role} {name!r} matched directory entry {match.entry.name!r} "
            f"(#{match.entry.id}, {match.how})"
        )
    if match.how == "ambiguous":
        names = ", ".join(repr(e.name) for e in match.candidates)
        return f"{role} {name!r} resembles several directory entries ({names}): not matched"
    return f"{role} {name!r} is not in the approved provider directory"


def _is_district(entry: DirectoryEntry) -> bool:
    # Entries added without a kind default to "other": a district name counts too.
    return entry.kind == "school_district" or district_name(entry.name) is not None


def triage(
    form: PreapprovalForm, today: date, directory: Sequence[DirectoryEntry]
) -> TriageDecision:
    """Apply OPI's decision tree (first rule that applies) to a validated request."""
    retroactive = is_retroactive(form, today)
    status, request = form.educator.license_status, form.request_type
    if status == "none":
        return TriageDecision(
            "declined",
            TriageRule.NOT_LICENSED,
            "The pre-approval process is only for licensed Montana educators: those with a "
            "current Montana educator license or seeking to reinstate one.",
            retroactive=retroactive,
            notes=["license status 'none': not a licensed Montana educator"],
        )
    if request in _DISTRICT_MATTERS:
        what = _DISTRICT_MATTERS[request]
        return TriageDecision(
            "redirected",
            TriageRule.DISTRICT_DECIDES,
            f"OPI does not approve {what}: your local school district decides them, under "
            "ARM 10.55.714(2) and its collective bargaining agreement.",
            retroactive=retroactive,
            notes=[f"request type {request!r}: decided by the local district (ARM 10.55.714(2))"],
        )
    provider = explain_match(form.activity.provider, directory)
    provider_note = _match_note("provider", form.activity.provider, provider)
    if request == "micro_credential":
        reason = (
            "OPI does not accept micro-credentials as professional development units for "
            "relicensure. A single professional development activity within a "
            "micro-credential framework may still earn units, if its provider is an "
            "OPI-approved provider and the activity meets the Administrative Rules of Montana."
        )
        if provider.entry is not None:
            reason += (
                f" {provider.entry.name} is an approved provider: please ask "
                f"{_contact(provider.entry)} about a certificate for such an activity."
            )
        return TriageDecision(
            "declined",
            TriageRule.MICRO_CREDENTIAL,
            reason,
            retroactive=retroactive,
            notes=["request type 'micro_credential': not accepted for relicensure", provider_note],
        )
    if provider.entry is not None:
        return TriageDecision(
            "redirected",
            TriageRule.APPROVED_PROVIDER,
            f"{provider.entry.name} is an OPI-approved professional development unit "
            "provider, so the PDU certificate for this activity comes from them, not from OPI.",
            matched=provider.entry,
            retroactive=retroactive,
            notes=[provider_note],
        )
    notes = [provider_note]
    if form.employer is None:
        notes.append("no employer given")
    else:
        employer = explain_match(form.employer, directory)
        entry = employer.entry
        if entry is not None and _is_district(entry):
            return TriageDecision(
                "redirected",
                TriageRule.EMPLOYER_PROVIDER,
                f"Your school district, {entry.name}, is an OPI-approved provider, and approved "
                "schools and districts may issue PDU certificates for activities by providers "
                "that are not approved.",
                matched=entry,
                retroactive=retroactive,
                notes=[*notes, _match_note("employer", form.employer, employer)],
            )
        note = _match_note("employer", form.employer, employer)
        if entry is not None:
            note += ", which is not a school or district: it cannot issue for others"
        notes.append(note)
    reason = "Your request needs a review by OPI professional learning staff."
    if retroactive:
        start = form.activity.start_date
        notes.append(f"retroactive: the activity started on {start}, before {today}")
        reason += " The activity had already started, so it is reviewed as a retroactive request."
    return TriageDecision("review", TriageRule.REVIEW, reason, retroactive=retroactive, notes=notes)
