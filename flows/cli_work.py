"""`pdu submit`, `pdu schema`, `pdu sweep`, `pdu mail`: doing the office's work."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from flows.cli_support import EXIT_USAGE, CommandFailed, Failure, print_result
from models.services.errors import UserError

FORM_KINDS = {"preapproval": "preapproval", "provider": "provider"}


def register(commands: Any) -> None:
    submit = commands.add_parser("submit", help="submit a form (JSON file)")
    submit.add_argument("kind", choices=list(FORM_KINDS))
    submit.add_argument("file", type=Path)
    submit.add_argument("--json", action="store_true", help="print reference and status as JSON")
    submit.set_defaults(handler=submit_form)

    schema = commands.add_parser("schema", help="print a form's JSON Schema")
    schema.add_argument("kind", choices=list(FORM_KINDS))
    schema.add_argument("--json", action="store_true", help="the same: the schema is JSON")
    schema.set_defaults(handler=print_schema)

    sweep = commands.add_parser("sweep", help="send due reminders, escalations, reassignments")
    sweep.add_argument("--json", action="store_true")
    sweep.set_defaults(handler=run_sweep)

    mail = commands.add_parser("mail", help="the email gateway").add_subparsers(
        dest="mail_command", required=True
    )
    poll = mail.add_parser("poll", help="one cycle: read the mailbox, act, then send the outbox")
    poll.add_argument("--json", action="store_true")
    poll.set_defaults(handler=mail_poll)
    ingest = mail.add_parser("ingest", help="process one raw message (.eml) as if polled")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--json", action="store_true")
    ingest.set_defaults(handler=mail_ingest)
    send = mail.add_parser("send", help="deliver pending outbox messages")
    send.add_argument("--json", action="store_true")
    send.set_defaults(handler=mail_send)
    watch = mail.add_parser(
        "watch", help="poll, send, then wait for new mail with IMAP IDLE; repeat until stopped"
    )
    watch.add_argument("--cycles", type=int, help="stop after this many polls")
    watch.add_argument(
        "--json",
        action="store_true",
        help="log lines as JSON objects on stderr; at the end, the cycles as JSON on stdout",
    )
    watch.set_defaults(handler=mail_watch)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold one JSON object (the form)")
    return data


def submit_form(args: argparse.Namespace) -> int:
    from flows.jobs import intake

    result = intake(FORM_KINDS[args.kind], _read_json(args.file), channel="cli")
    if not result.ok:
        problems = [problem.message for problem in result.problems]
        message = "\n".join(
            [f"the form has {len(problems)} problem(s):", *(f"  - {p}" for p in problems)]
        )
        raise CommandFailed(Failure(EXIT_USAGE, "usage", message, {"problems": problems}))
    value = {"reference": result.reference, "status": result.status, "created": result.created}
    note = "" if result.created else " (already submitted: nothing new was created)"
    return print_result(args.json, value, f"{result.reference}{note}")


def print_schema(args: argparse.Namespace) -> int:
    from models.forms import json_schema

    schema = json_schema(FORM_KINDS[args.kind])
    return print_result(True, schema, "")  # JSON with or without --json


def run_sweep(args: argparse.Namespace) -> int:
    from flows.jobs import sweep

    report = sweep()
    fired = ", ".join(f"{k} {v}" for k, v in sorted(report.fired.items())) or "nothing due"
    return print_result(args.json, report.fired, f"sweep: {fired}")


def _sent(sent: Any) -> tuple[dict[str, int], str]:
    value = {"sent": sent.sent, "retrying": sent.retrying, "failed": sent.failed}
    return value, f"send: {sent.sent} sent, {sent.retrying} to retry, {sent.failed} failed"


def mail_poll(args: argparse.Namespace) -> int:
    from flows.jobs import poll, send

    report = poll()
    if report.skipped_locked:
        line = "poll: another poller is working on the mailbox; nothing done"
    else:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
        line = f"poll: {report.seen} message(s){': ' + outcomes if outcomes else ''}"
    sent, sent_line = _sent(send())
    value = {
        "poll": {
            "seen": report.seen,
            "outcomes": dict(report.outcomes),
            "skipped_locked": report.skipped_locked,
        },
        "send": sent,
    }
    return print_result(args.json, value, f"{line}\n{sent_line}")


def mail_ingest(args: argparse.Namespace) -> int:
    from flows.jobs import ingest

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
    result = ingest(raw)
    suffix = f" {result.case_reference}" if result.case_reference else ""
    duplicate = " (duplicate: already processed)" if result.duplicate else ""
    line = f"{result.outcome.value} {result.reason}{suffix}{duplicate}"
    value = {
        "outcome": result.outcome.value,
        "reason": result.reason,
        "case_reference": result.case_reference,
        "duplicate": result.duplicate,
        "detail": result.detail,
    }
    return print_result(args.json, value, f"{line}\n  {result.detail}" if result.detail else line)


def mail_send(args: argparse.Namespace) -> int:
    from flows.jobs import send

    value, line = _sent(send())
    return print_result(args.json, value, line)


def mail_watch(args: argparse.Namespace) -> int:
    from flows.jobs import watch

    done = watch(args.cycles)
    return print_result(args.json, {"cycles": done}, f"watch: {done} poll cycle(s)")
