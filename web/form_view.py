"""The web forms, generated from the same pydantic models as the CLI and email forms.

`form_fields` (models/forms.py) gives every answer in order with its label, type and help;
this module only decides how each is drawn (input, text area, radio buttons, check box),
puts a posted value and its problem beside it, and turns a post back into the JSON shape
that `validate_form` judges for every channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from models.forms import FormField, FormProblem, field_labels, form_fields

# The words people see for the models' choice values (the values stay the interface).
CHOICE_LABELS = {
    "current": "Current: I hold a current Montana educator license",
    "reinstatement": "Reinstatement: I am seeking to reinstate my Montana license",
    "none": "None: I hold no Montana educator license",
    "pdu_certificate": "PDU certificate: renewal units for my license",
    "pir": "PIR days",
    "salary_lane": "Salary lane change",
    "step_up": "Step-up credit",
    "micro_credential": "Micro-credential",
    "quarter": "Quarter credits",
    "semester": "Semester credits",
    "in_person": "In person",
    "virtual": "Virtual (live online)",
    "self_paced": "Self-paced",
    "school_district": "School or school district",
    "college_university": "College or university",
    "government_agency": "Government agency",
    "educational_organization": "Educational organization",
    "other": "Other",
}
YES = "yes"
_AUTOCOMPLETE = {
    "educator.first_name": "given-name",
    "educator.last_name": "family-name",
    "educator.email": "email",
    "manager.first_name": "given-name",
    "manager.last_name": "family-name",
    "manager.email": "email",
    "manager.phone": "tel",
    "organization.name": "organization",
    "organization.address": "street-address",
    "organization.website": "url",
}


def choice_label(value: str) -> str:
    return CHOICE_LABELS.get(value, value.replace("_", " ").capitalize())


@dataclass
class FieldView:
    name: str  # the posted name: the model's path, "activity.start_date"
    label: str  # within its section: "Start date"
    full_label: str  # "Activity start date" (the error summary's words)
    widget: str  # "input", "textarea", "radio", "checkbox"
    input_type: str = "text"
    help: str = ""
    required: bool = False
    max_length: int | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    error: str = ""  # the problem in the CLI's and email's words
    inputmode: str = ""
    autocomplete: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


@dataclass
class SectionView:
    title: str  # "" for answers outside a section
    fields: list[FieldView]


def _short(label: str, section: str) -> str:
    if section and label.startswith(f"{section} "):
        rest = label[len(section) + 1 :]
        return rest[:1].upper() + rest[1:]
    return label


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else ""
    return str(value)


def _view(leaf: FormField, section: str, value: Any, problem: FormProblem | None) -> FieldView:
    view = FieldView(
        name=leaf.path,
        label=_short(leaf.label, section),
        full_label=leaf.label,
        widget="input",
        help="" if leaf.description == "Optional." else leaf.description,  # the label says it
        required=leaf.required,
        max_length=leaf.max_length,
        value=_shown(value),
        error=problem.message if problem else "",
        autocomplete=_AUTOCOMPLETE.get(leaf.path, ""),
    )
    if get_origin(leaf.base) is Literal:
        view.widget, view.help = "radio", ""  # the choices' own words say it
        view.choices = [(v, choice_label(v)) for v in get_args(leaf.base)]
        if not leaf.required:
            view.choices.insert(0, ("", "Not applicable"))
    elif leaf.base is bool:
        view.widget = "checkbox"
    elif leaf.base is date:
        view.input_type = "date"
    elif leaf.base is Decimal:
        view.inputmode = "decimal"
    elif leaf.multiline:
        view.widget = "textarea"
    elif leaf.kind == "email":
        view.input_type = "email"
    elif leaf.kind == "phone":
        view.input_type = "tel"
    elif leaf.kind == "website":
        view.inputmode = "url"  # type=url would refuse "bigsky.example", which we accept
    return view


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def form_view(
    kind: str, data: Mapping[str, Any] | None = None, problems: Sequence[FormProblem] = ()
) -> list[SectionView]:
    """The form's sections and fields, filled with `data` (the JSON shape) and problems."""
    labels = field_labels(kind)
    by_field = {p.field: p for p in problems}
    sections: list[SectionView] = []
    for leaf in form_fields(kind):
        head = leaf.path.rpartition(".")[0]
        title = labels.get(head, "") if head else ""
        if not sections or sections[-1].title != title:
            sections.append(SectionView(title, []))
        value = _get(data or {}, leaf.path)
        sections[-1].fields.append(_view(leaf, title, value, by_field.get(leaf.path)))
    return sections


def posted_data(kind: str, posted: Mapping[str, str]) -> dict[str, Any]:
    """A post back into the JSON shape: blank answers left out, check boxes as booleans."""
    data: dict[str, Any] = {}
    for leaf in form_fields(kind):
        raw = posted.get(leaf.path, "")
        if leaf.base is bool:
            value: Any = raw == YES
        elif raw.strip():
            value = raw
        else:
            continue
        target = data
        *parents, name = leaf.path.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = value
    return data


def unplaced(kind: str, problems: Sequence[FormProblem]) -> list[FormProblem]:
    """Problems that belong to no field of the form (shown above it)."""
    paths = {leaf.path for leaf in form_fields(kind)}
    return [p for p in problems if p.field not in paths]
