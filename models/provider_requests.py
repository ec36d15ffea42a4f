"""Requests from approved providers by email: account requests and opportunities to share.

Pure. OPI's provider pages ask providers to write to OPI for three account changes (access
to an existing account, a changed email address, a new account manager: "name of
organization, your full name, phone number and email") and to ask before an activity is
shared on the Learning Opportunities Portal. Here:

- the four request forms (pydantic, plain `Field: value` text as people write email);
- `recognise_request`: which request an email without a reply token is, if any;
- `parse_request_form` / `validate_request` / `render_request_form`: the text form, every
  problem at once in plain words, field by field;
- `opportunity_flags`: the portal rules OPI publishes (sales-based, unrelated to education,
  in conflict with Montana's content standards, missing a description or contact details).
  They only flag: a reviewer decides.

The `Field: value` grammar is the one of `models.forms.parse_field_form`, whose lookup only
knows the two application forms; its helpers are reused here for these flat forms.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from models.activity_reports import ActivityReport, report_problems
from models.enums import CaseKind
from models.forms import (
    _INSTRUCTIONS,
    END_MARKER,
    Day,
    Email,
    FormField,
    FormProblem,
    Name,
    OrgName,
    Phone,
    ShortLine,
    ShortText,
    Text,
    Website,
    _key,
    _normalised,
    _plain,
    _Section,
    _shown,
    _walk,
    parse_field_form,
    read_fields,
)

OpportunityFormat = Literal["in_person", "virtual", "hybrid", "self_paced"]

# Who sent a request, as triage records it on the case (`Case.triage_rule`).
SENDER_CONFIRMED = "sender_confirmed"  # the account manager's address (or, for an
# opportunity, an address on the provider's account or in the directory)
VERIFY_SENDER = "verify_sender"  # anyone else: staff must confirm before approving


class RequestType(StrEnum):
    ACCESS = "access"
    EMAIL_CHANGE = "email_change"
    MANAGER_CHANGE = "manager_change"
    OPPORTUNITY = "opportunity"
    ACTIVITY_REPORT = "activity_report"  # recorded at once as an event: no case, no review

    @property
    def case_kind(self) -> CaseKind:
        if self is RequestType.ACTIVITY_REPORT:
            raise ValueError("an activity report is recorded as an event, not reviewed as a case")
        if self is RequestType.OPPORTUNITY:
            return CaseKind.OPPORTUNITY
        return CaseKind.ACCOUNT_REQUEST


REQUEST_KINDS = frozenset({CaseKind.ACCOUNT_REQUEST, CaseKind.OPPORTUNITY})

_ORGANIZATION = (
    "the approved provider's name as listed in the PDU provider directory, or its provider "
    "number, like MTP-00042"
)


# --- The forms ---------------------------------------------------------------------------


class AccessRequest(_Section):
    """Access to an existing provider account: adds a user after staff approval."""

    model_config = ConfigDict(title="Access to an existing provider account")

    organization: OrgName = Field(title="Organization name", description=_ORGANIZATION)
    first_name: Name = Field(title="First name", description="your first name")
    last_name: Name = Field(title="Last name", description="your last name")
    phone: Phone = Field(title="Phone", description="a number where OPI staff can reach you")
    email: Email = Field(
        title="Email", description="the address to add to the account; write from it"
    )
    note: ShortText | None = Field(
        None, title="Note", description="your role, or anything the reviewer should know"
    )


class EmailChangeRequest(_Section):
    """A provider account's email address changes; both addresses are told."""

    model_config = ConfigDict(title="Change of a provider account's email address")

    organization: OrgName = Field(title="Organization name", description=_ORGANIZATION)
    first_name: Name = Field(title="First name", description="the account holder's first name")
    last_name: Name = Field(title="Last name", description="the account holder's last name")
    username: ShortLine | None = Field(
        None, title="Username", description="the account's username if you know it, like JDoe"
    )
    current_email: Email = Field(
        title="Current email", description="the address the account has now"
    )
    new_email: Email = Field(title="New email", description="the address it should have")
    phone: Phone = Field(title="Phone", description="a number where OPI staff can reach you")
    note: ShortText | None = Field(
        None, title="Note", description="anything the reviewer should know"
    )


class ManagerChangeRequest(_Section):
    """The provider's account manager (and directory contact) becomes someone else."""

    model_config = ConfigDict(title="Change of a provider's account manager")

    organization: OrgName = Field(title="Organization name", description=_ORGANIZATION)
    first_name: Name = Field(
        title="New manager first name", description="the new account manager's first name"
    )
    last_name: Name = Field(
        title="New manager last name", description="the new account manager's last name"
    )
    email: Email = Field(
        title="New manager email", description="the new account manager's email address"
    )
    phone: Phone = Field(
        title="New manager phone", description="the new account manager's phone number"
    )
    current_manager: Name | None = Field(
        None, title="Current manager", description="the name of the manager being replaced"
    )
    note: ShortText | None = Field(
        None, title="Note", description="anything the reviewer should know"
    )


class OpportunityRequest(_Section):
    """An approved provider's activity, to share on the Learning Opportunities Portal."""

    model_config = ConfigDict(title="Opportunity to share on the Learning Opportunities Portal")

    organization: OrgName = Field(title="Provider", description=_ORGANIZATION)
    title: OrgName = Field(title="Title", description="the activity's title as advertised")
    description: Text = Field(
        title="Description",
        description="what the activity covers, for whom, and how it is organised",
    )
    audience: ShortLine | None = Field(
        None, title="Audience", description="who it is for: grades, subjects, roles"
    )
    format: OpportunityFormat = Field(
        title="Format", description="in person, virtual, hybrid or self-paced"
    )
    start_date: Day | None = Field(
        None, title="Start date", description="the first day; blank if self-paced or on request"
    )
    end_date: Day | None = Field(None, title="End date", description="the last day")
    location: ShortLine | None = Field(
        None, title="Location", description="town or venue; blank when online"
    )
    cost: ShortLine | None = Field(None, title="Cost", description="free, or the fee")
    website: Website | None = Field(
        None, title="Website", description="where to read more or register"
    )
    contact_name: Name = Field(
        title="Contact name", description="who participants can ask about the activity"
    )
    contact_email: Email = Field(title="Contact email", description="the contact's address")
    contact_phone: Phone | None = Field(
        None, title="Contact phone", description="the contact's phone number"
    )
    standards: ShortText | None = Field(
        None,
        title="Content standards",
        description="the Montana content standards or initiatives it supports",
    )


RequestForm = (
    AccessRequest | EmailChangeRequest | ManagerChangeRequest | OpportunityRequest | ActivityReport
)
FULL_NAME = "_full_name"  # "Full name: Jane Roe", as OPI's page words it: split on reading


@dataclass(frozen=True)
class RequestSpec:
    """One request type: its form, and the words that recognise it in an email."""

    type: RequestType
    model: builtins.type[RequestForm]  # builtins: `type` here is the field above
    subject: str  # the documented subject keyword
    title: str  # the text form's first line: recognises a filled-in form in a body
    noun: str  # "account access request": in the emails about the case
    purpose: str  # one line for the menu in the form template
    subject_pattern: re.Pattern[str]
    hints: dict[str, str] = field(default_factory=dict)  # shown after the label
    aliases: dict[str, str] = field(default_factory=dict)  # other labels people write
    reviewed: bool = True  # False: acted on at once (an activity report), no case

    @property
    def leaves(self) -> list[FormField]:
        return [leaf for _, _, leaf in _walk(self.model) if leaf is not None]

    @property
    def labels(self) -> dict[str, str]:
        return {leaf.path: leaf.label for leaf in self.leaves}

    @property
    def required_labels(self) -> list[str]:
        return [
            leaf.label for leaf in self.leaves if self.model.model_fields[leaf.path].is_required()
        ]


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b{p}\b" for p in phrases), re.IGNORECASE)


_ORGANIZATION_ALIASES = {
    "name of organization": "organization",
    "name of the organization": "organization",
    "organization": "organization",
    "organisation": "organization",
    "organisation name": "organization",
    "provider": "organization",
    "provider name": "organization",
    "provider number": "organization",
}
_NAME_ALIASES = {"full name": FULL_NAME, "your full name": FULL_NAME, "name": FULL_NAME}
_PHONE_ALIASES = {"phone number": "phone", "your phone number": "phone"}

SPECS: dict[RequestType, RequestSpec] = {
    RequestType.ACCESS: RequestSpec(
        RequestType.ACCESS,
        AccessRequest,
        subject="Account access",
        title="PDU provider account access request",
        noun="account access request",
        purpose="be added as a user of your organization's existing provider account",
        subject_pattern=_words(
            r"account\s+access",
            r"access\s+(?:to\s+)?(?:an?\s+|the\s+|our\s+)?(?:existing\s+)?(?:provider\s+)?account",
        ),
        hints={"organization": "or the provider number", "note": "optional"},
        aliases=_ORGANIZATION_ALIASES
        | _NAME_ALIASES
        | _PHONE_ALIASES
        | {"email address": "email", "your email": "email", "your email address": "email"},
    ),
    RequestType.EMAIL_CHANGE: RequestSpec(
        RequestType.EMAIL_CHANGE,
        EmailChangeRequest,
        subject="Account email change",
        title="PDU provider account email change",
        noun="account email change request",
        purpose="change the email address of a provider account",
        subject_pattern=_words(
            r"(?:account\s+)?e-?mail\s+(?:address\s+)?change",
            r"change\s+(?:of\s+|my\s+|the\s+|our\s+)?(?:account\s+)?e-?mail",
        ),
        hints={
            "organization": "or the provider number",
            "username": "optional",
            "note": "optional",
        },
        aliases=_ORGANIZATION_ALIASES
        | _NAME_ALIASES
        | _PHONE_ALIASES
        | {"old email": "current_email", "old address": "current_email"}
        | {"new address": "new_email", "new email address": "new_email"},
    ),
    RequestType.MANAGER_CHANGE: RequestSpec(
        RequestType.MANAGER_CHANGE,
        ManagerChangeRequest,
        subject="Account manager change",
        title="PDU provider account manager change",
        noun="account manager change request",
        purpose="make someone else your organization's account manager",
        subject_pattern=_words(
            r"(?:account\s+)?manager\s+change",
            r"change\s+(?:of\s+|the\s+|our\s+)?(?:provider\s+)?(?:account\s+)?manager",
            r"new\s+account\s+manager",
        ),
        hints={"organization": "or the provider number", "current_manager": "optional"},
        aliases=_ORGANIZATION_ALIASES
        | {"new manager name": FULL_NAME, "new manager full name": FULL_NAME}
        | {"new manager": FULL_NAME},
    ),
    RequestType.OPPORTUNITY: RequestSpec(
        RequestType.OPPORTUNITY,
        OpportunityRequest,
        subject="Share an opportunity",
        title="PDU learning opportunity to share",
        noun="request to share an opportunity",
        purpose="ask OPI to share an activity on the Learning Opportunities Portal",
        subject_pattern=_words(
            r"share\s+(?:an?\s+|our\s+|my\s+|this\s+)?(?:learning\s+)?(?:opportunity|event)",
            r"opportunit(?:y|ies)\s+to\s+share",
            r"(?:learning\s+)?opportunities\s+portal",
        ),
        hints={
            "organization": "or the provider number",
            "description": "several lines are fine",
            "audience": "optional",
            "format": "in person, virtual, hybrid or self-paced",
            "start_date": "like 2026-12-07; blank if self-paced or on request",
            "end_date": "like 2026-12-09; optional",
            "location": "optional",
            "cost": "optional",
            "website": "optional",
            "contact_phone": "optional",
            "standards": "optional",
        },
        aliases=_ORGANIZATION_ALIASES
        | {"organization name": "organization"}
        | {
            "event": "title",
            "event title": "title",
            "dates": "start_date",
            "contact": "contact_name",
            "email": "contact_email",
            "phone": "contact_phone",
        },
    ),
    RequestType.ACTIVITY_REPORT: RequestSpec(
        RequestType.ACTIVITY_REPORT,
        ActivityReport,
        subject="Activity report",
        title="PDU provider activity report",
        noun="activity report",
        purpose="report an activity you offer, so that its PDU certificates can be issued",
        subject_pattern=_words(
            r"activity\s+report",
            r"report(?:ing)?\s+(?:an?\s+|our\s+|my\s+|this\s+|the\s+)?(?:new\s+)?"
            r"(?:pdu\s+)?(?:activity|event|course|workshop)",
        ),
        hints={
            "organization": "or the provider number",
            "description": "several lines are fine",
            "start_date": "like 2027-06-15",
            "end_date": "like 2027-06-17; blank only if self-paced",
            "hours": "PDU hours of full attendance",
            "format": "in person, virtual, hybrid, self-paced or virtual conference",
            "location": "blank when online; several separated by ;",
            "schedule": "optional",
        },
        aliases=_ORGANIZATION_ALIASES
        | {"organization name": "organization"}
        | {
            "event": "title",
            "event title": "title",
            "activity": "title",
            "activity title": "title",
            "pdu hours": "hours",
            "contact hours": "hours",
            "locations": "location",
            "venue": "location",
            "times": "schedule",
        },
        reviewed=False,
    ),
}


# --- Recognising a request ---------------------------------------------------------------

# A subject naming a case ([AR-2026-00001]) is a reply to one of our emails that lost its
# reply address, never a new request, even when it repeats a keyword.
_CASE_TAG = re.compile(r"\[[A-Z]{2}-\d{4}-\d{5}\]")


def recognise_request(subject: str, text: str) -> RequestSpec | None:
    """The request an email without a reply token is, or None.

    A filled-in form is recognised by its first line (the form's title) in the new text of
    the body; otherwise by a keyword in the subject ("Account access", ...). The body wins:
    it is what the person filled in. So a registration whose subject happens to say "new
    account manager" stays a registration when its body fills more of that form's fields.
    """
    lines = {" ".join(line.strip(" \t*").lower().split()) for line in text.splitlines()}
    for spec in SPECS.values():
        if spec.title.lower() in lines:
            return spec
    if _CASE_TAG.search(subject):
        return None
    for spec in SPECS.values():
        if spec.subject_pattern.search(subject):
            mine = len(parse_request_form(spec, text))
            theirs = max(
                _count(parse_field_form(kind, text)) for kind in ("preapproval", "provider")
            )
            return None if theirs > mine else spec
    return None


def _count(data: dict[str, Any]) -> int:
    return sum(_count(v) if isinstance(v, dict) else 1 for v in data.values())


def request_menu() -> list[dict[str, str]]:
    """The request types, for the reply to anyone who writes without a form."""
    return [
        {
            "subject": spec.subject,
            "purpose": spec.purpose,
            "fields": ", ".join(label.lower() for label in spec.required_labels),
        }
        for spec in SPECS.values()
    ]


# --- The text form -----------------------------------------------------------------------


def render_request_form(spec: RequestSpec, data: dict[str, Any] | None = None) -> str:
    """The `Label: value` form, blank or filled with what someone sent."""
    lines = [spec.title, "", _INSTRUCTIONS, ""]
    for leaf in spec.leaves:
        hint = f" ({spec.hints[leaf.path]})" if leaf.path in spec.hints else ""
        value = _shown((data or {}).get(leaf.path)).replace("\r\n", "\n").split("\n")
        lines.append(f"{leaf.label}{hint}: {value[0]}".rstrip())
        lines.extend(value[1:])
    lines.append(END_MARKER)
    return "\n".join(lines)


def parse_request_form(spec: RequestSpec, text: str) -> dict[str, Any]:
    """A filled-in form back into a dict; tolerant as `models.forms.parse_field_form`."""
    leaves = {leaf.path: leaf for leaf in spec.leaves}
    full_name = FormField(FULL_NAME, "Full name", str, False)
    lookup = {_key(leaf.label): leaf for leaf in leaves.values()}
    lookup |= {_key(leaf.path): leaf for leaf in leaves.values()}
    for alias, path in spec.aliases.items():
        lookup.setdefault(_key(alias), full_name if path == FULL_NAME else leaves[path])
    data: dict[str, Any] = {leaf.path: value for leaf, value in read_fields(lookup, text)}
    name = str(data.pop(FULL_NAME, ""))
    if name and "first_name" not in data and "last_name" not in data:
        # The first word is the first name: "Mary Van Der Berg" -> Mary / Van Der Berg.
        first, _, last = name.partition(" ")
        data["first_name"] = first
        if last.strip():
            data["last_name"] = last.strip()
    return data


_EMAIL, _DAY = TypeAdapter(Email), TypeAdapter(Day)


def _valid(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value) if value not in (None, "") else None
    except ValidationError:
        return None


def _rule_problems(spec: RequestSpec, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across fields, on whatever parsed: one bad field never hides another."""
    if spec.type is RequestType.EMAIL_CHANGE:
        current = _valid(_EMAIL, data.get("current_email"))
        if current is not None and current == _valid(_EMAIL, data.get("new_email")):
            return [("new_email", "is the same as the current email")]
    if spec.type is RequestType.ACTIVITY_REPORT:
        return report_problems(data)
    if spec.type is RequestType.OPPORTUNITY:
        start, end = _valid(_DAY, data.get("start_date")), _valid(_DAY, data.get("end_date"))
        if end is not None and start is None and not data.get("start_date"):
            return [("start_date", "is required when an end date is given")]
        if start is not None and end is not None and end < start:
            return [("end_date", f"must be on or after the start date ({start})")]
    return []


def validate_request(
    spec: RequestSpec, data: dict[str, Any]
) -> tuple[RequestForm | None, list[FormProblem]]:
    """The form, or None and every problem in plain words, in form order."""
    labels = spec.labels
    problems: dict[str, FormProblem] = {}

    def add(path: str, detail: str) -> None:
        label = labels.get(path, path)
        problems.setdefault(path, FormProblem(path, label, f"{label}: {detail}"))

    form: RequestForm | None = None
    try:
        form = spec.model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            if error["type"] == "missing":
                description = spec.model.model_fields[path].description or ""
                add(path, f"is missing ({description})" if description else "is missing")
            else:
                add(path, _plain(error))
    for path, detail in _rule_problems(spec, data):
        add(path, detail)
    if problems:
        order = {path: index for index, path in enumerate(labels)}
        return None, sorted(problems.values(), key=lambda p: order.get(p.field, len(order)))
    return form, []


def request_key(spec: RequestSpec, form: RequestForm, sender: str) -> str:
    """The same request sent twice by the same person is one case."""
    canonical = json.dumps(
        {
            "kind": spec.type.value,
            "sender": sender.lower(),
            "form": _normalised(form.model_dump(mode="json")),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def stored_form(spec: RequestSpec, form: RequestForm) -> dict[str, Any]:
    """What a case keeps: the form, and which request it is."""
    return {"request": spec.type.value, **form.model_dump(mode="json")}


def load_request(stored: dict[str, Any]) -> tuple[RequestSpec, RequestForm]:
    spec = SPECS[RequestType(stored["request"])]
    return spec, spec.model.model_validate({k: v for k, v in stored.items() if k != "request"})


# --- The portal rules --------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """A portal rule the opportunity may break, in words for the reviewer."""

    code: str
    message: str


_SALES = _words(
    r"buy(?:ing)?\s+(?:now|our|the|a|your)",
    r"purchase\s+(?:now|our|your|today)",
    r"order\s+(?:now|today)",
    r"discount(?:s|ed)?",
    r"coupon",
    r"promo(?:tion(?:al)?)?\s+code",
    r"special\s+(?:offer|pricing)",
    r"limited[-\s]time\s+offer",
    r"free\s+trial",
    r"(?:sales|product)\s+(?:pitch|presentation|demo|demonstration)s?",
    r"pricing",
    r"per[-\s](?:seat|licen[cs]e)",
    r"(?:site|district)[-\s]licen[cs]es?",
    r"subscribe\s+(?:now|today)",
    r"sign\s+up\s+for\s+our\s+(?:product|platform|software|app)",
    r"reseller",
)
_PERCENT_OFF = re.compile(r"\b\d{1,3}\s*%\s*off\b", re.IGNORECASE)
_EDUCATION = _words(
    r"teach\w*",
    r"educat\w*",
    r"students?",
    r"classrooms?",
    r"schools?",
    r"learn\w*",
    r"instruction\w*",
    r"curricul\w*",
    r"literacy",
    r"numeracy",
    r"math\w*",
    r"science",
    r"reading",
    r"writing",
    r"pedagog\w*",
    r"assessments?",
    r"principals?",
    r"para(?:professional|educator)s?",
    r"counsel(?:or|ing|ling)s?",
    r"special\s+education",
    r"IEPs?",
    r"P?K-12",
    r"grades?",
    r"lessons?",
    r"course(?:s|work)?",
    r"professional\s+(?:development|learning)",
    r"coach(?:es|ing)?",
    r"mentor\w*",
    r"standards",
    r"social[-\s]emotional",
    r"SEL",
    r"STEA?M",
    r"Indian\s+Education\s+for\s+All",
    r"IEFA",
    r"librar(?:y|ies|ians?)",
    r"youth",
    r"child(?:ren|hood)?",
)
_OFF_TOPIC = _words(
    r"real\s+estate",
    r"timeshares?",
    r"crypto\w*",
    r"bitcoin",
    r"investment\s+(?:seminar|opportunit(?:y|ies))",
    r"stock\s+(?:market|trading)",
    r"forex",
    r"weight[-\s]loss",
    r"multi[-\s]level\s+marketing",
    r"MLM",
    r"casino",
    r"gambling",
)
_AGAINST = (
    r"(?:instead\s+of|replac(?:e|es|ing)|ignor(?:e|es|ing)|reject(?:s|ing)?|against"
    r"|opt(?:ing)?\s+out\s+of|bypass(?:es|ing)?)"
)
_STANDARDS_CONFLICT = _words(
    _AGAINST
    + r"\s+(?:the\s+)?(?:montana(?:'s)?\s+|state\s+|common\s+core\s+)?(?:content\s+)?standards",
    _AGAINST + r"\s+(?:indian\s+education\s+for\s+all|IEFA)",
    r"(?:not|isn't|is\s+not)\s+(?:aligned|consistent)\s+with\s+(?:montana(?:'s)?|state|the)\s+"
    r"(?:content\s+)?standards",
)
_PLACEHOLDER = re.compile(
    r"^(?:tbd|tba|n/?a|none|to\s+come|coming\s+soon|see\s+(?:attached|website|flyer|link|"
    r"below|above)|more\s+(?:info|information|details)\s+(?:to\s+come|soon|later))[.!]*$",
    re.IGNORECASE,
)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|donotreply|noreply)[^@]*@", re.IGNORECASE)
MIN_DESCRIPTION_WORDS = 12  # a sentence or two: what, for whom, how


def _quoted(matches: list[str]) -> str:
    unique = list(dict.fromkeys(m.lower() for m in matches))
    return ", ".join(f"'{m}'" for m in unique[:4])


def opportunity_flags(form: OpportunityRequest, today: date) -> list[Flag]:
    """OPI's reasons not to post an opportunity that this one may meet (for the reviewer).

    Words are only hints (a district "pricing" workshop can be fine): the reviewer decides.
    """
    text = "\n".join(filter(None, [form.title, form.description, form.audience, form.cost]))
    flags: list[Flag] = []
    sales = [m.group(0) for m in _SALES.finditer(text)]
    sales += [m.group(0) for m in _PERCENT_OFF.finditer(text)]
    if sales:
        flags.append(Flag("sales_based", f"looks sales-based: it mentions {_quoted(sales)}"))
    off_topic = [m.group(0) for m in _OFF_TOPIC.finditer(text)]
    if off_topic:
        flags.append(
            Flag("unrelated_to_education", f"looks unrelated to education: {_quoted(off_topic)}")
        )
    elif not _EDUCATION.search(text):
        flags.append(
            Flag(
                "unrelated_to_education",
                "looks unrelated to education: no word about teaching, learning, students "
                "or schools in the title, description or audience",
            )
        )
    conflict = [m.group(0) for m in _STANDARDS_CONFLICT.finditer(f"{text}\n{form.standards or ''}")]
    if conflict:
        flags.append(
            Flag(
                "content_standards",
                "may conflict with Montana's content standards or initiatives: "
                + _quoted(conflict),
            )
        )
    words = len(form.description.split())
    if _PLACEHOLDER.match(form.description.strip()) or words < MIN_DESCRIPTION_WORDS:
        flags.append(
            Flag(
                "missing_description",
                f"the description is too thin to publish ({words} word{'s' if words != 1 else ''}"
                f"; at least {MIN_DESCRIPTION_WORDS} expected)",
            )
        )
    if _NO_REPLY.match(form.contact_email):
        flags.append(
            Flag(
                "missing_contact",
                f"the contact email ({form.contact_email}) is a no-reply address: "
                "participants could not reach anyone",
            )
        )
    if form.format in ("in_person", "hybrid") and not form.location:
        flags.append(Flag("missing_details", "in person, but no location is given"))
    last_day = form.end_date or form.start_date
    if last_day is not None and last_day < today:
        flags.append(Flag("past", f"its dates have passed (it ended {last_day.isoformat()})"))
    return flags


def listing(form: OpportunityRequest) -> str:
    """Where the portal shows it: the calendar (dated) or the catalog (self-paced, on
    request), as OPI's portal does."""
    return "calendar" if form.start_date is not None else "catalog"


def when(form: OpportunityRequest) -> str:
    """The dates in words for a listing: '2026-12-07 to 2026-12-09', 'self-paced'..."""
    if form.start_date is None:
        return "self-paced" if form.format == "self_paced" else "on request"
    if form.end_date is None or form.end_date == form.start_date:
        return form.start_date.isoformat()
    return f"{form.start_date.isoformat()} to {form.end_date.isoformat()}"


# --- For the reviewer --------------------------------------------------------------------


def _person(form: RequestForm) -> str:
    return f"{getattr(form, 'first_name', '')} {getattr(form, 'last_name', '')}".strip()


def request_title(form: RequestForm, organization: str) -> str:
    """The case in a few words, after the noun: "account access request (Jane Roe at ...)"."""
    if isinstance(form, OpportunityRequest):
        return f"“{form.title}” by {organization}"
    if isinstance(form, ManagerChangeRequest):
        return f"{organization}, new manager {_person(form)}"
    if isinstance(form, EmailChangeRequest):
        return f"{_person(form)}'s account at {organization}"
    return f"{_person(form)} at {organization}"


def approve_meaning(form: RequestForm, organization: str) -> str:
    """What APPROVE does, for the command list in the reviewer's emails."""
    if isinstance(form, OpportunityRequest):
        return "approve; it is listed for the Learning Opportunities Portal"
    if isinstance(form, ManagerChangeRequest):
        return (
            f"approve; {_person(form)} becomes the account manager and directory contact "
            f"of {organization}, and the previous manager is told"
        )
    if isinstance(form, EmailChangeRequest):
        return f"approve; the account's address becomes {form.new_email}; both addresses are told"
    return (
        f"approve; {_person(form)} gets a user account (username by OPI's rule) and a "
        "welcome email with a one-time code to set a password"
    )


CHECKLISTS: dict[RequestType, tuple[str, tuple[str, ...]]] = {
    RequestType.ACCESS: (
        "Checklist (adding a user to a provider account)",
        (
            "The organization is the approved provider named (see the triage notes).",
            "The person works for or with the provider: when the request did not come from "
            "the account manager, confirm it with them first.",
            "Name, phone number and email are complete (OPI's list).",
            "The person does not already have access.",
        ),
    ),
    RequestType.EMAIL_CHANGE: (
        "Checklist (changing an account's email address)",
        (
            "The account is the right one (organization, name, username, current address).",
            "When the request did not come from the account manager, confirm the change with "
            "the account holder or the manager by phone first.",
            "The new address is complete and is the person's own.",
        ),
    ),
    RequestType.MANAGER_CHANGE: (
        "Checklist (changing the account manager)",
        (
            "The new manager works for the provider: when the request did not come from the "
            "current manager, confirm it with the organization first.",
            "The new manager's name, email and phone are complete.",
            "The directory contact will become the new manager.",
        ),
    ),
    RequestType.OPPORTUNITY: (
        "Checklist (what OPI shares on the Learning Opportunities Portal)",
        (
            "The provider is an approved PDU provider (see the triage notes).",
            "Not sales-based.",
            "Related to education.",
            "Not in conflict with Montana's content standards or initiatives.",
            "Key details are there: a description of the event and contact information.",
        ),
    ),
}
