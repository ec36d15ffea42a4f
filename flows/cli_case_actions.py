"""`pdu case resend|decide|reopen|reassign`: mending a case without editing the database."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any

from flows.cli_support import print_result, uow
from models import clock
from models.services.errors import UserError

_DECISIONS = ("approve", "deny", "info", "accept", "reject")


def register(sub: Any) -> None:
    """Adds to `pdu case` (its parser is made in cli_cases)."""
    resend = sub.add_parser("resend", help="send the current task or open question again")
    resend.add_argument("reference")
    resend.add_argument("--json", action="store_true")
    resend.set_defaults(handler=case_resend)
    decide = sub.add_parser("decide", help="decide as a staff member, as by email")
    decide.add_argument("reference")
    decide.add_argument("decision", choices=_DECISIONS)
    decide.add_argument("--as", dest="staff", required=True, help="the deciding staff member")
    decide.add_argument("--hours", help="approve: fewer hours than requested")
    decide.add_argument("--reason", help="deny or reject: why (the applicant reads it)")
    decide.add_argument("--question", help="info: the question for the applicant")
    decide.add_argument("--json", action="store_true")
    decide.set_defaults(handler=case_decide)
    reopen = sub.add_parser("reopen", help="a decided case back to review (new 7-day clock)")
    reopen.add_argument("reference")
    reopen.add_argument("--reason", required=True)
    reopen.add_argument(
        "--revoke-certificate", action="store_true", help="confirm: revoke its certificate"
    )
    reopen.add_argument("--json", action="store_true")
    reopen.set_defaults(handler=case_reopen)
    reassign = sub.add_parser("reassign", help="hand the open task to another staff member")
    reassign.add_argument("reference")
    reassign.add_argument("--to", required=True)
    reassign.add_argument("--json", action="store_true")
    reassign.set_defaults(handler=case_reassign)


def case_resend(args: argparse.Namespace) -> int:
    from models.services.case_actions import resend
    from models.services.case_view import get_case
    from models.services.context import ServiceContext

    with uow() as work:
        case = get_case(work.session, args.reference)
        to = resend(ServiceContext.of(work, clock.now()), case)
        work.commit()
        value = {"reference": case.reference, "sent_to": to}
    return print_result(args.json, value, f"{value['reference']}: sent again to {to}")


def _decision_text(args: argparse.Namespace) -> tuple[str, Decimal | None]:
    needs = {"deny": "--reason", "reject": "--reason", "info": "--question"}
    option = needs.get(args.decision)
    text = (args.question if option == "--question" else args.reason) or ""
    if option and not text.strip():
        raise UserError(f"{args.decision} needs {option} TEXT")
    if args.hours is None:
        return text, None
    if args.decision != "approve":
        raise UserError("--hours goes with approve only")
    try:
        hours = Decimal(args.hours)
    except InvalidOperation:
        raise UserError(f"--hours: {args.hours!r} is not a number of hours") from None
    if not hours.is_finite() or hours <= 0:
        raise UserError("--hours must be more than 0")
    return text, hours


def case_decide(args: argparse.Namespace) -> int:
    from models.services.case_actions import decide_as
    from models.services.case_view import get_case
    from models.services.context import ServiceContext

    text, hours = _decision_text(args)
    with uow() as work:
        case = get_case(work.session, args.reference)
        done = decide_as(
            ServiceContext.of(work, clock.now()),
            case,
            args.staff,
            args.decision.upper(),
            text=text,
            hours=hours,
        )
        work.commit()
        value = {"reference": case.reference, "status": str(case.status), "decision": done.action}
        case_id = case.id
    if args.decision == "accept":  # the certificate is drawn after the decision commits
        from models.services.case_certificates import issue_reserved
        from models.uow import UnitOfWork

        issue_reserved(UnitOfWork, clock.now(), case_id)
    detail = f" ({done.detail})" if done.detail else ""
    return print_result(
        args.json, value, f"{value['reference']}: {done.action}{detail}; now {value['status']}"
    )


def case_reopen(args: argparse.Namespace) -> int:
    from models.services.case_actions import reopen
    from models.services.case_view import get_case
    from models.services.context import ServiceContext

    with uow() as work:
        ctx = ServiceContext.of(work, clock.now())
        case = get_case(work.session, args.reference)
        revoked = reopen(ctx, case, args.reason, revoke_certificate=args.revoke_certificate)
        work.commit()
        task = case.open_task
        assert task is not None
        value = {
            "reference": case.reference,
            "status": str(case.status),
            "assignee": task.assignee.email,
            "due_at": task.due_at.astimezone(ctx.tz).isoformat(),
            "revoked": revoked,
        }
    extra = f"; revoked {', '.join(revoked)}" if revoked else ""
    line = f"{value['reference']} reopened: with {value['assignee']}, due {value['due_at']}{extra}"
    return print_result(args.json, value, line)


def case_reassign(args: argparse.Namespace) -> int:
    from models.services.case_actions import CLI
    from models.services.case_view import get_case
    from models.services.context import ServiceContext
    from models.services.review import reassign

    with uow() as work:
        case = get_case(work.session, args.reference)
        done = reassign(ServiceContext.of(work, clock.now()), case, CLI, args.to)
        work.commit()
        value = {"reference": case.reference, "assignee": done.detail}
    return print_result(args.json, value, f"{value['reference']}: now with {value['assignee']}")
