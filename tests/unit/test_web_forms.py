"""The web forms are drawn from the form models and read back into their JSON shape."""

from __future__ import annotations

from models.forms import form_fields, validate_form
from tests.e2e.forms import PREAPPROVAL, PROVIDER
from web.form_view import form_view, posted_data

POSTED_PROVIDER = {
    "organization.name": "Big Sky Learning Collaborative",
    "organization.kind": "educational_organization",
    "organization.address": "12 Main St, Billings, MT 59101",
    "organization.website": "",
    "manager.first_name": "John",
    "manager.last_name": "Doe",
    "manager.email": "jdoe@bigsky.example",
    "manager.phone": "406-555-0134",
    "attest_reporting": "yes",
    "attest_records_five_years": "yes",
    "description": "Workshops.\r\nSeveral lines.",
    "alignment": "ARM 10.55.714",
    "evidence": "Evaluations",
    "csrf_token": "not a field",
}


def test_a_post_reads_back_into_the_json_shape_blanks_left_out():
    data = posted_data("provider", POSTED_PROVIDER)
    assert data["organization"] == {
        "name": "Big Sky Learning Collaborative",
        "kind": "educational_organization",
        "address": "12 Main St, Billings, MT 59101",
    }
    assert data["attest_reporting"] is True and "csrf_token" not in data
    form, problems = validate_form("provider", data)
    assert problems == [] and form is not None
    assert form.description == "Workshops.\nSeveral lines."


def test_an_unticked_attestation_is_a_no_and_gets_the_attestation_words():
    data = posted_data("provider", {**POSTED_PROVIDER, "attest_reporting": ""})
    assert data["attest_reporting"] is False
    _, problems = validate_form("provider", data)
    assert [p.field for p in problems] == ["attest_reporting"]


def test_every_answer_of_the_model_is_drawn_once_in_order_in_its_section():
    for kind, data in (("preapproval", PREAPPROVAL), ("provider", PROVIDER)):
        sections = form_view(kind, data)
        drawn = [f.name for s in sections for f in s.fields]
        assert drawn == [leaf.path for leaf in form_fields(kind)]
    educator = form_view("preapproval", PREAPPROVAL)[0]
    assert educator.title == "Educator"
    assert [(f.label, f.widget, f.value) for f in educator.fields][:2] == [
        ("First name", "input", "Jane"),
        ("Last name", "input", "Okafor"),
    ]


def test_each_problem_is_placed_beside_its_own_field():
    data = {**PREAPPROVAL, "activity": {**PREAPPROVAL["activity"], "end_date": "2026-12-01"}}
    _, problems = validate_form("preapproval", data)
    fields = {f.name: f for s in form_view("preapproval", data, problems) for f in s.fields}
    assert fields["activity.end_date"].error == (
        "Activity end date: must be on or after the start date (2026-12-07)"
    )
    assert [n for n, f in fields.items() if f.error] == ["activity.end_date"]
    assert fields["activity.start_date"].input_type == "date"
    assert fields["activity.format"].widget == "radio"
    assert fields["activity.description"].widget == "textarea"
