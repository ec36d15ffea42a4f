"""preapprovals.csv: pre-approval requests still open in the old system.

Each enters review under its old reference through the same use cases as a new request
(models.services.casework: the case, the reviewer routing picks, the task email), with
its original submission date: its seven business days count from then, so one already
late is reminded and escalated by the next sweep. Triage is not run again (the old
system had accepted it for review) and the educator is not acknowledged again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from models.cases import Case
from models.enums import CaseKind, Channel
from models.forms import PreapprovalForm, submission_key, validate_form
from models.people import Staff
from models.services.casework import new_case, start_review
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.legacy_files import (
    Known,
    LegacyReport,
    Line,
    highest_own,
    issued_here,
    local_noon,
)
from models.services.preapproval import upsert_educator
from models.services.references import counter_values, keep_clear_of
from models.services.timeline import Actor

FILE = "preapprovals.csv"
COLUMNS = ("reference", "submitted_on", "first_name", "last_name", "email", "title")
PREFIX = CaseKind.PREAPPROVAL.prefix
ACTOR = Actor("legacy import", Channel.CLI)

# The form's fields, by the CSV column that holds each (docs/migration.md).
EDUCATOR = ("first_name", "last_name", "email", "license_number", "license_status")
ACTIVITY = (
    "title", "provider", "provider_email", "description", "start_date", "end_date", "hours",
    "college_credits", "credit_type", "location", "format", "alignment",
)  # fmt: skip
TOP = ("employer", "request_type", "retroactive_reason")


@dataclass(frozen=True)
class RequestRow:
    line: Line
    reference: str
    submitted_at: datetime
    form: PreapprovalForm
    key: str


def _form_data(line: Line) -> dict[str, Any]:
    def section(columns: tuple[str, ...]) -> dict[str, str]:
        return {c: line.get(c) for c in columns if line.get(c)}

    educator = section(EDUCATOR)
    educator.setdefault("license_status", "current")
    return section(TOP) | {
        "request_type": line.get("request_type") or "pdu_certificate",
        "educator": educator,
        "activity": section(ACTIVITY),
    }


def _row(line: Line, ctx: ServiceContext) -> RequestRow:
    submitted_on = line.day("submitted_on")
    # Checked as of its submission: an activity that had not started then is not late.
    form, problems = validate_form("preapproval", _form_data(line), today=submitted_on)
    if form is None or problems:
        raise UserError("; ".join(f"{p.field.rpartition('.')[2]}: {p.detail}" for p in problems))
    return RequestRow(
        line,
        line.number_in("reference", "a request reference"),
        local_noon(submitted_on, ctx.tz),
        form,
        submission_key("preapproval", form),
    )


def check(
    ctx: ServiceContext, lines: list[Line], known: Known, report: LegacyReport
) -> list[RequestRow]:
    """Rows to add. The same request (reference and form) here already is present; a
    reference this system gave out, or the same request under another reference, refused."""
    here = {
        reference: key
        for reference, key in ctx.session.execute(select(Case.reference, Case.submission_key))
    }
    by_key = {key: reference for reference, key in here.items()}
    counters = counter_values(ctx.session, PREFIX)
    seen: dict[str, int] = {}
    additions = []
    for line in lines:
        try:
            row = _row(line, ctx)
        except UserError as exc:
            report.problem(line, str(exc))
            continue
        if row.reference in seen:
            report.problem(line, f"reference {row.reference} is also on line {seen[row.reference]}")
            continue
        seen[row.reference] = line.number
        if here.get(row.reference) == row.key:
            report.matched(line, f"request {row.reference}")
        elif row.reference in here or issued_here(PREFIX, row.reference, counters):
            report.refuse(
                line,
                f"{row.reference} is already a reference of this system: refused "
                "(legacy numbers are never renumbered)",
            )
        elif row.key in by_key:
            report.problem(line, f"the same request is here already as {by_key[row.key]}")
        else:
            additions.append(row)
    if additions and not _anyone_to_assign(ctx):
        report.problems.append(
            f"{FILE}: no active staff member to review the open requests: add one with "
            "`pdu staff add` first"
        )
    return additions


def _anyone_to_assign(ctx: ServiceContext) -> bool:
    return ctx.session.scalar(select(Staff.id).where(Staff.active.is_(True)).limit(1)) is not None


def add(ctx: ServiceContext, rows: list[RequestRow]) -> None:
    for row in rows:
        applicant = upsert_educator(ctx, row.form)
        case = new_case(
            ctx, CaseKind.PREAPPROVAL, row.form, row.key, ACTOR, applicant,
            reference=row.reference, submitted_at=row.submitted_at,
        )  # fmt: skip
        case.hours_requested = Decimal(str(row.form.units))
        case.retroactive = row.form.activity.start_date < row.submitted_at.date()
        case.triage_rule = "imported"
        day = row.submitted_at.astimezone(ctx.tz).date()
        start_review(
            ctx, case, ACTOR, f"imported from the old system (submitted {day})",
            since=row.submitted_at, acknowledge=False,
        )  # fmt: skip
        ctx.session.flush()
    for year, number in highest_own(PREFIX, [row.reference for row in rows]).items():
        keep_clear_of(ctx.session, PREFIX, year, number)
