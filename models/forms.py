"""The two application forms: a pre-approval request (educator) and a provider registration.

The JSON field names are a public interface (CLI files, email attachments, the web form),
so they never change meaning. Everything here is pure: the caller passes `today`.

- `validate_form` lists every problem at once, in plain words, in the form's field order.
  Rules that involve several fields (dates in order, hours *or* credits) are checked on
  whatever parsed, so one wrong field never hides another problem.
- `FORM_TEMPLATE_*` / `parse_field_form` / `render_field_form`: the plain-text
  `Label: value` form for people who write by email; it parses back into the JSON shape,
  so `validate_form` is the single judge of every channel.
- `submission_key`: the same submission sent twice is one case.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Annotated, Any, Literal, NamedTuple, get_args, get_origin, overload

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from templates.hours import hours_number

LicenseStatus = Literal["current", "reinstatement", "none"]
RequestType = Literal["pdu_certificate", "pir", "salary_lane", "step_up", "micro_credential"]
ActivityFormat = Literal["in_person", "virtual", "self_paced"]
CreditType = Literal["quarter", "semester"]
OrganizationKind = Literal[
    "school_district",
    "college_university",
    "government_agency",
    "educational_organization",
    "other",
]

MAX_HOURS = Decimal(600)  # more than a full-time semester: anything above is a typo
MAX_CREDITS = Decimal(40)
# ARM 10.57.215: 1 hour = 1 unit; 1 quarter credit = 10 units; 1 semester credit = 15.
UNITS_PER_CREDIT: dict[str, Decimal] = {"quarter": Decimal(10), "semester": Decimal(15)}
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)

# Error codes starting "pdu_" are ours and already in plain words. A rule across fields
# raised by a model is dropped by validate_form, which re-checks it on partial input.
_RULE = "pdu_rule"


# --- Field types -------------------------------------------------------------------------

_LINE_BREAKS = frozenset("\r\n\v\f\x85\u2028\u2029")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refuse_controls(value: str, allowed: str) -> None:
    for ch in value:
        if ch in allowed:
            continue
        if ch in _LINE_BREAKS and "\n" not in allowed:
            # Names and titles end up in email headers: a line break there is an injection.
            raise PydanticCustomError("pdu_line_break", "must be on one line (no line breaks)")
        if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS:
            raise PydanticCustomError(
                "pdu_control_char", "contains an invisible control character: please retype it"
            )


def _clean_line(value: str) -> str:
    value = unicodedata.normalize("NFC", value).replace("\t", " ")
    _refuse_controls(value, allowed=" ")
    return re.sub(r" {2,}", " ", value).strip()


def _clean_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    _refuse_controls(value, allowed="\n\t")
    return "\n".join(line.rstrip() for line in value.split("\n")).strip()


def _length(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Spelled out (not made by a function) so that type checkers see each as a `str`.
_LINE = AfterValidator(_clean_line)
_TEXT = AfterValidator(_clean_text)
Name = Annotated[str, _length(100), _LINE]
ShortLine = Annotated[str, _length(200), _LINE]
OrgName = Annotated[str, _length(300), _LINE]  # the directory's name column is 300 characters
LongLine = Annotated[str, _length(500), _LINE]
Text = Annotated[str, _length(5000), _TEXT]
ShortText = Annotated[str, _length(2000), _TEXT]


def _email(value: str) -> str:
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise PydanticCustomError(
            "pdu_email", "must be an email address like name@example.org"
        ) from None
    return info.normalized.lower()


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=254),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]

_PHONE = re.compile(r"^\+?[0-9 ().\-]+(?:\s*(?:x|ext\.?|extension)\s*\d{1,6})?$", re.IGNORECASE)


def _phone(value: str) -> str:
    number = re.split(r"\s*(?:x|ext)", value, maxsplit=1, flags=re.IGNORECASE)[0]
    digits = sum(ch.isdigit() for ch in number)
    if not _PHONE.match(value) or not 7 <= digits <= 15:
        raise PydanticCustomError("pdu_phone", "must be a phone number like 406-555-0134")
    return value


Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=40),
    AfterValidator(_clean_line),
    AfterValidator(_phone),
]

_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+$")


def _website(value: str) -> str:
    # People write "bigsky.example"; store a full address so links work.
    if not re.match(r"^[a-z][a-z0-9+.\-]*://", value, re.IGNORECASE):
        value = f"https://{value}"
    scheme, _, rest = value.partition("://")
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1].split(":")[0].lower()
    if scheme.lower() not in ("http", "https") or " " in value or not _HOST.match(host):
        raise PydanticCustomError(
            "pdu_website", "must be a web address like https://www.example.org"
        )
    return value


Website = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_clean_line),
    AfterValidator(_website),
    WithJsonSchema({"type": "string", "format": "uri", "maxLength": 500}),
]


def _in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise PydanticCustomError(
            "pdu_date_range",
            "must be a date between {earliest} and {latest}",
            {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )
    return value


Day = Annotated[date, AfterValidator(_in_range)]


_AS_NUMBER = PlainSerializer(hours_number, return_type=int | float, when_used="json")


def _amount_schema(maximum: Decimal) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "number", "exclusiveMinimum": 0, "maximum": float(maximum), "multipleOf": 0.01}
    )


# A positive amount in hundredths, up to a maximum.
Hours = Annotated[
    Decimal, Field(gt=0, le=MAX_HOURS, decimal_places=2), _AS_NUMBER, _amount_schema(MAX_HOURS)
]
Credits = Annotated[
    Decimal, Field(gt=0, le=MAX_CREDITS, decimal_places=2), _AS_NUMBER, _amount_schema(MAX_CREDITS)
]
Units = Annotated[Decimal, _AS_NUMBER]


# --- Cross-field rules (one implementation for the models and for partial input) ----------

_Problem = tuple[str, str]  # (field name relative to its section, plain message)


def _educator_rules(license_status: str | None, has_license_number: bool) -> list[_Problem]:
    if license_status in ("current", "reinstatement") and not has_license_number:
        return [("license_number", "is required unless the license status is none")]
    return []


def _activity_rules(
    start: date | None,
    end: date | None,
    hours: Decimal | None,
    given: dict[str, bool],
) -> list[_Problem]:
    """`given`: which of hours / college_credits / credit_type hold a value (valid or not)."""
    problems: list[_Problem] = []
    if given["hours"] and given["college_credits"]:
        problems.append(("hours", "give either the hours or the college credits, not both"))
    elif not given["hours"] and not given["college_credits"]:
        problems.append(("hours", "is required (or give college credits and their type)"))
    if given["college_credits"] and not given["credit_type"]:
        problems.append(("credit_type", "is required with college credits: quarter or semester"))
    if given["credit_type"] and not given["college_credits"]:
        problems.append(("credit_type", "only goes with college credits: leave it blank"))
    if start is not None and end is not None:
        if end < start:
            problems.append(("end_date", f"must be on or after the start date ({start})"))
        elif hours is not None and hours > 24 * ((end - start).days + 1):
            days = (end - start).days + 1
            problems.append(
                (
                    "hours",
                    f"{hours_number(hours)} hours cannot fit in {days} "
                    f"day{'s' if days > 1 else ''} ({start} to {end})",
                )
            )
    return problems


def _raise_first(problems: list[_Problem]) -> None:
    if problems:
        field, message = problems[0]
        raise PydanticCustomError(_RULE, "{field}: {message}", {"field": field, "message": message})


# --- Models ------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_optional_is_absent(cls, data: Any) -> Any:
        # A blank optional field ("Employer: " in the email form) means "not given".
        if isinstance(data, dict):
            for name, info in cls.model_fields.items():
                value = data.get(name)
                if not info.is_required() and isinstance(value, str) and not value.strip():
                    data = {**data, name: None}
        return data


class Educator(_Section):
    """The educator asking for pre-approval."""

    model_config = ConfigDict(title="Educator")

    first_name: Name = Field(title="First name", description="As on your Montana license.")
    last_name: Name = Field(title="Last name", description="As on your Montana license.")
    email: Email = Field(
        title="Email", description="Where OPI answers. By email, apply from this address."
    )
    license_number: ShortLine | None = Field(
        None,
        title="License number",
        description="Your Montana educator license number; required unless the status is none.",
    )
    license_status: LicenseStatus = Field(
        title="License status",
        description="current: you hold a current Montana educator license; reinstatement: "
        "you are seeking to reinstate one; none: you hold no Montana license.",
    )

    @model_validator(mode="after")
    def _license_number_needed(self) -> Educator:
        _raise_first(_educator_rules(self.license_status, self.license_number is not None))
        return self


class Activity(_Section):
    """The professional learning activity to pre-approve."""

    model_config = ConfigDict(title="Activity")

    title: OrgName = Field(title="Title", description="The activity's title as advertised.")
    provider: OrgName = Field(
        title="Provider", description="The organization offering the activity."
    )
    provider_email: Email | None = Field(
        None, title="Provider email", description="A contact address at the provider (optional)."
    )
    description: Text = Field(
        title="Description", description="What the activity covers and how it is organised."
    )
    start_date: Day = Field(title="Start date", description="First day, like 2026-12-07.")
    end_date: Day = Field(
        title="End date", description="Last day, like 2026-12-09; the start date for one day."
    )
    hours: Hours | None = Field(
        None,
        title="Hours",
        description="Contact hours (1 hour = 1 PDU). Give hours or college credits, not both.",
    )
    college_credits: Credits | None = Field(
        None,
        title="College credits",
        description="College credits instead of hours: 1 quarter credit = 10 PDUs, "
        "1 semester credit = 15 PDUs (ARM 10.57.215).",
    )
    credit_type: CreditType | None = Field(
        None, title="Credit type", description="quarter or semester; only with college credits."
    )
    location: ShortLine | None = Field(
        None, title="Location", description="Town or venue (optional; blank when online)."
    )
    format: ActivityFormat = Field(
        title="Format", description="in_person, virtual (live online) or self_paced."
    )
    alignment: Text = Field(
        title="Alignment",
        description="How the activity meets ARM 10.57.215: planned and structured, and "
        "exposure to a new idea or skill or an extension of an existing one.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Activity:
        given = {
            "hours": self.hours is not None,
            "college_credits": self.college_credits is not None,
            "credit_type": self.credit_type is not None,
        }
        _raise_first(_activity_rules(self.start_date, self.end_date, self.hours, given))
        return self


class PreapprovalForm(_Section):
    """Pre-approval for an OPI Professional Development Unit certificate.

    For an activity by a provider that is not OPI-approved; ask before attending.
    """

    model_config = ConfigDict(title="PDU pre-approval request")

    educator: Educator = Field(title="Educator", description="Who is asking.")
    employer: OrgName | None = Field(
        None,
        title="Employer",
        description="Your school or district (optional). An approved district can issue "
        "the certificate itself.",
    )
    request_type: RequestType = Field(
        title="Request type",
        description="pdu_certificate: PDUs for license renewal (what OPI pre-approves); "
        "pir, salary_lane, step_up: decided by your district; micro_credential.",
    )
    activity: Activity = Field(title="Activity", description="The professional learning.")
    retroactive_reason: ShortText | None = Field(
        None,
        title="Retroactive reason",
        description="Why the request comes after the activity started; required then.",
    )

    @model_validator(mode="before")
    @classmethod
    def _units_are_computed(cls, data: Any) -> Any:
        # A stored form (model_dump) carries `units`; it is derived, never an input.
        if isinstance(data, dict) and "units" in data:
            data = {k: v for k, v in data.items() if k != "units"}
        return data

    # mypy cannot type a decorated property; pydantic's documented way is this ignore.
    @computed_field(  # type: ignore[prop-decorator]
        title="PDU units", description="Hours, or credits converted (ARM 10.57.215)."
    )
    @property
    def units(self) -> Units:
        activity = self.activity
        if activity.hours is not None:
            return activity.hours
        assert activity.college_credits is not None and activity.credit_type is not None
        return activity.college_credits * UNITS_PER_CREDIT[activity.credit_type]


class Organization(_Section):
    """The organization applying to become an approved provider."""

    model_config = ConfigDict(title="Organization")

    name: OrgName = Field(title="Name", description="The organization's full legal name.")
    kind: OrganizationKind = Field(
        title="Kind",
        description="school_district, college_university, government_agency, "
        "educational_organization or other.",
    )
    address: LongLine = Field(title="Address", description="Street, town, state and ZIP code.")
    website: Website | None = Field(None, title="Website", description="Optional.")


class Manager(_Section):
    """The provider account manager: gets the account and OPI's emails."""

    model_config = ConfigDict(title="Account manager")

    first_name: Name = Field(title="First name", description="The account manager's first name.")
    last_name: Name = Field(title="Last name", description="The account manager's last name.")
    email: Email = Field(
        title="Email", description="Where OPI writes. By email, apply from this address."
    )
    phone: Phone = Field(title="Phone", description="A phone number, like 406-555-0134.")


class ProviderForm(_Section):
    """Registration as an approved Professional Development Unit provider."""

    model_config = ConfigDict(title="PDU provider registration")

    organization: Organization = Field(title="Organization", description="Who is applying.")
    manager: Manager = Field(title="Account manager", description="Who runs the account.")
    attest_reporting: bool = Field(
        title="Reporting attestation",
        description="We can report every activity to OPI before it happens and the number "
        "of certificates issued after it.",
        json_schema_extra={"const": True},
    )
    attest_records_five_years: bool = Field(
        title="Records attestation",
        description="We keep the records of every activity for five years.",
        json_schema_extra={"const": True},
    )
    description: Text = Field(
        title="Description", description="The professional learning the organization offers."
    )
    alignment: Text = Field(
        title="Alignment",
        description="How it meets ARM 10.55.714 and 10.57.215 (cite the items it meets).",
    )
    evidence: Text = Field(
        title="Evidence",
        description="Evidence that the professional learning is evidence-based and "
        "improves teaching or student outcomes.",
    )

    @field_validator("attest_reporting", "attest_records_five_years")
    @classmethod
    def _must_attest(cls, value: bool, info: ValidationInfo) -> bool:
        if not value:
            raise PydanticCustomError("pdu_attestation", _ATTESTATION[info.field_name or ""])
        return value


_ATTESTATION = {
    "attest_reporting": "OPI approves only organizations that can report every activity "
    "before it happens and the number of certificates issued after it: "
    "answer yes to confirm you can",
    "attest_records_five_years": "approved providers must keep the records of every activity "
    "for five years: answer yes to confirm you will",
}

Form = PreapprovalForm | ProviderForm
_MODELS: dict[str, type[PreapprovalForm] | type[ProviderForm]] = {
    "preapproval": PreapprovalForm,
    "provider": ProviderForm,
}


def _model(kind: str) -> type[PreapprovalForm] | type[ProviderForm]:
    try:
        return _MODELS[kind]
    except KeyError:
        raise ValueError(f"unknown form kind {kind!r}: use one of {', '.join(_MODELS)}") from None


# --- Labels: the words people see ------------------------------------------------------


def _lower_first(title: str) -> str:
    return title if title[1:2].isupper() else title[:1].lower() + title[1:]


class FormField(NamedTuple):
    """One answer of a form, as every channel presents it (email form, web form)."""

    path: str  # "activity.start_date"
    label: str  # "Activity start date"
    base: Any  # str, date, Decimal, bool or a Literal
    multiline: bool
    description: str = ""  # the model's help text
    required: bool = False  # required by the model itself (cross-field rules aside)
    max_length: int | None = None
    kind: str = ""  # "email", "phone" or "website" for those checked types


_KINDS = {"_email": "email", "_phone": "phone", "_website": "website"}


def _shape(info: FieldInfo) -> tuple[Any, list[Any]]:
    """(base type, metadata) of a field, through `X | None` and `Annotated`."""
    annotation, metadata = info.annotation, list(info.metadata)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is not Literal and len(args) < len(get_args(annotation)):
        annotation = args[0]  # X | None
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata += extra
    return annotation, metadata


def _walk(
    model: type[BaseModel], prefix: str = "", section: str = ""
) -> Iterator[tuple[str, str, FormField | None]]:
    """(path, label, leaf or None for a section) of every field, in form order."""
    for name, info in model.model_fields.items():
        title = info.title or name
        base, metadata = _shape(info)
        if isinstance(base, type) and issubclass(base, BaseModel):
            yield f"{prefix}{name}", title, None
            yield from _walk(base, f"{prefix}{name}.", title)
            continue
        label = f"{section} {_lower_first(title)}" if section else title
        funcs = [getattr(getattr(m, "func", None), "__name__", "") for m in metadata]
        lengths = [m.max_length for m in metadata if getattr(m, "max_length", None)]
        leaf = FormField(
            f"{prefix}{name}",
            label,
            base,
            multiline="_clean_text" in funcs,
            description=info.description or "",
            required=info.is_required(),
            max_length=lengths[0] if lengths else None,
            kind=next((_KINDS[f] for f in funcs if f in _KINDS), ""),
        )
        yield f"{prefix}{name}", label, leaf


@cache
def field_labels(kind: str) -> Mapping[str, str]:
    """Path ("activity.start_date") -> label ("Activity start date"), in form order.

    Worked out once a kind (the schema is fixed; every task email and form page asks),
    and read-only because it is shared."""
    return MappingProxyType({path: label for path, label, _ in _walk(_model(kind))})


def form_fields(kind: str) -> list[FormField]:
    """Every answer of the form, in form order (the web form is generated from these)."""
    return [leaf for _, _, leaf in _walk(_model(kind)) if leaf is not None]


# --- Validation --------------------------------------------------------------------------


class FormProblem(NamedTuple):
    """One problem with a form: where, what the person sees it called, and what is wrong."""

    field: str  # path, e.g. "activity.start_date" ("" for the whole form)
    label: str  # e.g. "Activity start date"
    message: str  # "Activity start date: must be a date like 2026-12-07"

    @property
    def detail(self) -> str:
        """The message without the label: "must be a date like 2026-12-07"."""
        return self.message.removeprefix(f"{self.label}: ")


def _choices(ctx: dict[str, Any]) -> str:
    return ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))


_PLAIN: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda c: "is required",
    "extra_forbidden": lambda c: "is not a field of this form (check the spelling)",
    "string_type": lambda c: "must be text",
    "string_too_short": lambda c: "is empty: please fill it in",
    "string_too_long": lambda c: f"is too long (at most {c['max_length']} characters)",
    "literal_error": lambda c: f"must be one of: {_choices(c)}",
    "date_type": lambda c: "must be a date like 2026-12-07",
    "date_parsing": lambda c: "must be a date like 2026-12-07",
    "date_from_datetime_parsing": lambda c: "must be a date like 2026-12-07",
    "date_from_datetime_inexact": lambda c: "must be a date like 2026-12-07",
    "date_past": lambda c: "must be a date like 2026-12-07",
    "decimal_type": lambda c: "must be a number",
    "decimal_parsing": lambda c: "must be a number",
    "finite_number": lambda c: "must be a number",
    "decimal_max_places": lambda c: f"may have at most {c['decimal_places']} decimal places",
    "decimal_max_digits": lambda c: "is too large",
    "decimal_whole_digits": lambda c: "is too large",
    "greater_than": lambda c: f"must be more than {c['gt']}",
    "less_than_equal": lambda c: f"must be at most {c['le']}",
    "bool_type": lambda c: "must be yes or no",
    "bool_parsing": lambda c: "must be yes or no",
    "model_type": lambda c: "must be a group of fields (a JSON object)",
    "dict_type": lambda c: "must be a group of fields (a JSON object)",
    "model_attributes_type": lambda c: "must be a group of fields (a JSON object)",
}


def _plain(error: ErrorDetails) -> str:
    translate = _PLAIN.get(error["type"])
    if translate is not None:
        return translate(dict(error.get("ctx") or {}))
    if error["type"].startswith("pdu_"):
        return error["msg"]  # our own words already
    return error["msg"][:1].lower() + error["msg"][1:]  # unknown: pydantic's own sentence


def _problem(labels: Mapping[str, str], path: str, detail: str) -> FormProblem:
    label = labels.get(path) or path or "Form"
    return FormProblem(path, label, f"{label}: {detail}")


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _try(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value) if _given(value) else None
    except ValidationError:
        return None


_DAY, _HOURS = TypeAdapter(Day), TypeAdapter(Hours)
_STATUS, _REQUEST = TypeAdapter(LicenseStatus), TypeAdapter(RequestType)


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _rule_problems(kind: str, data: dict[str, Any], today: date | None) -> list[_Problem]:
    """Cross-field rules on whatever parsed: one bad field never hides another problem."""
    if kind != "preapproval":
        return []
    educator, activity = _section(data, "educator"), _section(data, "activity")
    start, end = _try(_DAY, activity.get("start_date")), _try(_DAY, activity.get("end_date"))
    status = _try(_STATUS, educator.get("license_status"))
    problems = [
        (f"educator.{f}", m)
        for f, m in _educator_rules(status, _given(educator.get("license_number")))
    ]
    given = {
        name: _given(activity.get(name)) for name in ("hours", "college_credits", "credit_type")
    }
    problems += [
        (f"activity.{f}", m)
        for f, m in _activity_rules(start, end, _try(_HOURS, activity.get("hours")), given)
    ]
    if today is not None:
        problems += _retroactive_rule(
            start,
            status,
            _try(_REQUEST, data.get("request_type")),
            _given(data.get("retroactive_reason")),
            today,
        )
    return problems


def _retroactive_rule(
    start: date | None,
    license_status: str | None,
    request_type: str | None,
    has_reason: bool,
    today: date,
) -> list[_Problem]:
    # Only a request OPI would review itself needs the reason; one that triage declines or
    # sends to the district should not be held up by it.
    if (
        start is not None
        and start < today
        and not has_reason
        and request_type == "pdu_certificate"
        and license_status != "none"
    ):
        return [
            (
                "retroactive_reason",
                f"is required because the activity started on {start}, before today: "
                "please say why the request comes after the start",
            )
        ]
    return []


def retroactive_problems(form: PreapprovalForm, today: date) -> list[FormProblem]:
    """A request whose activity already started must say why it comes late."""
    labels = field_labels("preapproval")
    rule = _retroactive_rule(
        form.activity.start_date,
        form.educator.license_status,
        form.request_type,
        form.retroactive_reason is not None,
        today,
    )
    return [_problem(labels, path, message) for path, message in rule]


def is_retroactive(form: PreapprovalForm, today: date) -> bool:
    """The activity started before today (OPI asks for requests before attending)."""
    return form.activity.start_date < today


@overload
def validate_form(
    kind: Literal["preapproval"], data: Any, *, today: date | None = None
) -> tuple[PreapprovalForm | None, list[FormProblem]]: ...
@overload
def validate_form(
    kind: Literal["provider"], data: Any, *, today: date | None = None
) -> tuple[ProviderForm | None, list[FormProblem]]: ...
@overload
def validate_form(
    kind: str, data: Any, *, today: date | None = None
) -> tuple[Form | None, list[FormProblem]]: ...


def validate_form(
    kind: str, data: Any, *, today: date | None = None
) -> tuple[Form | None, list[FormProblem]]:
    """The validated form, or None and every problem in plain words, in form order.

    With `today`, a pre-approval whose activity already started also needs a
    `retroactive_reason` (see `retroactive_problems`).
    """
    model = _model(kind)
    labels = field_labels(kind)
    if not isinstance(data, dict):
        return None, [_problem(labels, "", "must be a JSON object with the form's fields")]
    problems: dict[str, FormProblem] = {}
    form: Form | None = None
    try:
        form = model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            if error["type"] == _RULE:
                continue  # re-derived below, together with the rules on partial input
            path = ".".join(str(part) for part in error["loc"])
            problems.setdefault(path, _problem(labels, path, _plain(error)))
    for path, message in _rule_problems(kind, data, today):
        problems.setdefault(path, _problem(labels, path, message))
    if problems:
        order = {path: index for index, path in enumerate(labels)}
        ranked = sorted(problems.values(), key=lambda p: order.get(p.field, len(order)))
        return None, ranked
    return form, []


def json_schema(kind: str) -> dict[str, Any]:
    """The form's JSON Schema (titles and descriptions become a web form's labels)."""
    model = _model(kind)
    schema = model.model_json_schema(mode="validation")
    for name, info in model.model_fields.items():
        # Pydantic leaves the title off a section that is a $ref; a web form needs it.
        schema["properties"][name].setdefault("title", info.title)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# --- The plain-text form (email) ---------------------------------------------------------

# Hints shown after the label in the email form; they must not contain a colon.
_HINTS: dict[str, str] = {
    "educator.license_number": "as on your license; blank if you have none",
    "educator.license_status": "current, reinstatement or none",
    "employer": "your school or district; optional",
    "request_type": "PDU certificate, PIR, salary lane, step-up or micro-credential",
    "activity.provider_email": "optional",
    "activity.description": "several lines are fine",
    "activity.start_date": "like 2026-12-07",
    "activity.end_date": "like 2026-12-09",
    "activity.hours": "contact hours; blank if you give college credits",
    "activity.college_credits": "instead of hours",
    "activity.credit_type": "quarter or semester; only with college credits",
    "activity.location": "optional",
    "activity.format": "in person, virtual or self-paced",
    "activity.alignment": "how it meets ARM 10.57.215; several lines are fine",
    "retroactive_reason": "only if the activity has already started",
    "organization.kind": "school district, college/university, government agency, "
    "educational organization or other",
    "organization.website": "optional",
    "attest_reporting": "yes or no; we can report every activity and the number of "
    "certificates issued",
    "attest_records_five_years": "yes or no; we keep activity records for five years",
    "description": "the professional learning you offer; several lines are fine",
    "alignment": "how it meets ARM 10.55.714 and 10.57.215; several lines are fine",
    "evidence": "that it is evidence-based; several lines are fine",
}

_TITLES = {"preapproval": "PDU pre-approval request", "provider": "PDU provider registration"}
_INSTRUCTIONS = (
    "Write each answer after the colon, keeping the words before it as they are. "
    "Longer answers may go on to the next lines. Leave a line blank when it is optional "
    "or does not apply."
)
END_MARKER = "--- end of form ---"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _get(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def render_field_form(kind: str, data: dict[str, Any] | None = None) -> str:
    """The `Label: value` email form, blank or filled with what someone sent."""
    lines = [_TITLES[kind], "", _INSTRUCTIONS, ""]
    for path, label, *_ in form_fields(kind):
        hint = f" ({_HINTS[path]})" if path in _HINTS else ""
        value = _shown(_get(data or {}, path)).replace("\r\n", "\n").split("\n")
        lines.append(f"{label}{hint}: {value[0]}".rstrip())
        lines.extend(value[1:])
    lines.append(END_MARKER)
    return "\n".join(lines)


FORM_TEMPLATE_PREAPPROVAL = render_field_form("preapproval")
FORM_TEMPLATE_PROVIDER = render_field_form("provider")

_STOP = re.compile(
    r"^(?:-{2,3}\s*end of form\s*-{2,3}|-- ?|on\b.*\bwrote:|-+\s*original message\s*-+|_{8,}"
    r"|from:\s.*|le\b.*\ba écrit\s?:|am\b.*\bschrieb\b.*:)$",
    re.IGNORECASE,
)
# A sign-off after a blank line ends the form ("Thanks,", "Best regards, Jane").
_CLOSING = re.compile(
    r"^(?:thanks|thank you|many thanks|regards|best|kind regards|best regards|sincerely"
    r"|cheers|respectfully)[,.!]*(?:\s+\w+)?[,.!]*$",
    re.IGNORECASE,
)
_SYNONYMS = {
    "pdu": "pdu_certificate",
    "pdus": "pdu_certificate",
    "pdu_certificate": "pdu_certificate",
    "pir_days": "pir",
    "pir_day": "pir",
    "salary_lane_change": "salary_lane",
    "step_up_credit": "step_up",
    "stepup": "step_up",
    "microcredential": "micro_credential",
    "inperson": "in_person",
    "face_to_face": "in_person",
    "online": "virtual",
    "selfpaced": "self_paced",
    "college": "college_university",
    "university": "college_university",
    "school": "school_district",
    "district": "school_district",
}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_YES = {"yes", "y", "true", "x", "i agree", "agree", "yes we can", "yes we will", "confirmed"}
_NO = {"no", "n", "false"}


def _key(text: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", text)  # hints in parentheses
    return " ".join(text.strip(" \t*-•").lower().replace("_", " ").split())


def _choice(value: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")
    return _SYNONYMS.get(key, key)


def _date_text(value: str) -> str:
    us = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value.strip())
    if us:  # Montana writes month/day/year
        return f"{us[3]}-{int(us[1]):02d}-{int(us[2]):02d}"
    named = re.fullmatch(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", value.strip())
    if named and named[1][:3].lower() in _MONTHS:
        return f"{named[3]}-{_MONTHS[named[1][:3].lower()]:02d}-{int(named[2]):02d}"
    return value


def _number_text(value: str) -> str:
    match = re.fullmatch(
        r"\s*(\d+(?:\.\d+)?)\s*(?:hours?|hrs?|credits?|units?|pdus?)?\.?\s*", value, re.IGNORECASE
    )
    return match[1] if match else value


def _convert(annotation: Any, value: str) -> Any:
    if get_origin(annotation) is Literal:
        return _choice(value)
    if annotation is date:
        return _date_text(value)
    if annotation is Decimal:
        return _number_text(value)
    if annotation is bool:
        word = " ".join(re.sub(r"[^a-z ]", " ", value.lower()).split())
        return True if word in _YES else False if word in _NO else value
    return value


def parse_field_form(kind: str, text: str) -> dict[str, Any]:
    """A filled-in email form back into the JSON shape; {} when no field of `kind` is found.

    Tolerant of case, spacing, hints in parentheses, blank lines, wrapped lines and a quoted
    reply below. Values are only tidied (choices, US dates, "18 hours"); validate_form judges.
    """
    leaves = {leaf.path: leaf for leaf in form_fields(kind)}
    lookup = {_key(leaf.label): leaf for leaf in leaves.values()}
    lookup |= {_key(leaf.path.replace(".", " ")): leaf for leaf in leaves.values()}
    data: dict[str, Any] = {}
    for leaf, value in read_fields(lookup, text):
        target = data
        *parents, name = leaf.path.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = value
    return data


def read_fields(lookup: dict[str, FormField], text: str) -> list[tuple[FormField, Any]]:
    """`Label: value` lines of an email form, as (field, tidied value), first answer each.

    `lookup` maps `_key(label)` to the field; every email form (pre-approval, provider,
    account requests) reads through here.
    """
    found: dict[str, list[str]] = {}
    by_path: dict[str, FormField] = {}
    current: FormField | None = None
    previous = ""
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, previous_line = raw.strip(), previous
        previous = line
        head, colon, rest = line.partition(":")
        leaf = lookup.get(_key(head)) if colon else None
        if leaf is None and (_STOP.match(line) or (not previous_line and _CLOSING.match(line))):
            break  # end of the form, a signature, or the quoted message below
        if line.startswith(">"):
            current = None  # a quoted line is never part of an answer
        elif leaf is not None:
            # The first answer given wins; a repeated label (a quoted form) adds nothing.
            current = None if "".join(found.get(leaf.path, [])) else leaf
            if current is not None:
                found[leaf.path] = [rest.strip()]
                by_path[leaf.path] = leaf
        elif current is not None and (line or (current.multiline and "".join(found[current.path]))):
            found[current.path].append(line)
        else:
            current = None  # a blank line ends a one-line answer
    result: list[tuple[FormField, Any]] = []
    for path, parts in found.items():
        leaf = by_path[path]
        value = "\n".join(parts) if leaf.multiline else " ".join(p for p in parts if p)
        if value.strip():
            result.append((leaf, _convert(leaf.base, value.strip())))
    return result


# --- De-duplication ----------------------------------------------------------------------


def _normalised(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def submission_key(kind: str, form: Form) -> str:
    """SHA-256 (hex) of the normalised form: the same submission twice has the same key.

    Built from the validated form, so key order, surrounding spaces and 18 vs "18" do not
    matter; runs of whitespace inside text count as one space. Derived fields are left
    out so that a change of a conversion rule never splits old and new keys.
    """
    _model(kind)
    dumped = form.model_dump(mode="json", exclude={"units"} if kind == "preapproval" else None)
    canonical = json.dumps(
        {"kind": kind, "form": _normalised(dumped)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
