"""The example forms from the issues, exactly as published (they must be accepted as is)."""

from __future__ import annotations

import copy
from typing import Any

PREAPPROVAL: dict[str, Any] = {
    "educator": {
        "first_name": "Jane",
        "last_name": "Okafor",
        "email": "jane@school.example",
        "license_number": "MT-48213",
        "license_status": "current",
    },
    "employer": "Lame Deer Public Schools",
    "request_type": "pdu_certificate",
    "activity": {
        "title": "Trauma-Informed Classrooms Institute",
        "provider": "Big Sky Learning Collaborative",
        "provider_email": "info@bigsky.example",
        "description": "Three-day structured institute ...",
        "start_date": "2026-12-07",
        "end_date": "2026-12-09",
        "hours": 18,
        "location": "Billings, MT",
        "format": "in_person",
        "alignment": "Planned and structured; extends existing skills.",
    },
    "retroactive_reason": None,
}


def preapproval(email: str = "jane@school.example", **changes: Any) -> dict[str, Any]:
    form = copy.deepcopy(PREAPPROVAL)
    form["educator"]["email"] = email
    for path, value in changes.items():
        target = form
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return form


PROVIDER: dict[str, Any] = {
    "organization": {
        "name": "Big Sky Learning Collaborative",
        "kind": "educational_organization",
        "address": "12 Main St, Billings, MT 59101",
        "website": "https://bigsky.example",
    },
    "manager": {
        "first_name": "John",
        "last_name": "Doe",
        "email": "jdoe@bigsky.example",
        "phone": "406-555-0134",
    },
    "attest_reporting": True,
    "attest_records_five_years": True,
    "description": "Year-long coaching cycles for rural teachers ...",
    "alignment": "Meets ARM 10.55.714 (1)(d), (h), (i), (l) ...",
    "evidence": "Two district evaluations ...",
}


def provider(email: str, name: str = "Big Sky Learning Collaborative") -> dict[str, Any]:
    form = copy.deepcopy(PROVIDER)
    form["manager"]["email"] = email
    form["organization"]["name"] = name
    return form
