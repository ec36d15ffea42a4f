"""`pdu submit`, `pdu schema`, `pdu sweep`, `pdu mail`: doing the office's work."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from flows.cli_support import print_json
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
    schema.set_defaults(handler=print_schema)

    sweep = commands.add_parser("sweep", help="send due reminders, escalations, reassignments")
    sweep.add_argument("--json", action="store_true")
    sweep.set_defaults(handler=run_sweep)

    mail = commands.add_parser("mail", help="the email gateway").add_subparsers(
        dest="mail_command", required=True
    )
    poll = mail.add_parser("poll", help="one cycle: read the mailbox, act, then send the outbox")
    poll.set_defaults(handler=mail_poll)
    ingest = mail.add_parser("ingest", help="process one raw message (.eml) as if polled")
    ingest.add_argument("file", type=Path)
    ingest.set_defaults(handler=mail_ingest)
    send = mail.add_parser("send", help="deliver pending outbox messages")
    send.set_defaults(handler=mail_send)
    watch = mail.add_parser(
        "watch", help="poll, send, then wait for new mail with IMAP IDLE; repeat until stopped"
    )
    watch.add_argument("--cycles", type=int, help="stop after this many polls")
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
        print(f"pdu: the form has {len(result.problems)} problem(s):", file=sys.stderr)
        for problem in result.problems:
            print(f"  - {problem.message}", file=sys.stderr)
        return 2
    if args.json:
        print_json(
            {"reference": result.reference, "status": result.status, "created": result.created}
        )
    else:
        note = "" if result.created else " (already submitted: nothing new was created)"
        print(f"{result.reference}{note}")
    return 0


def print_schema(args: argparse.Namespace) -> int:
    from models.forms import json_schema

    print_json(json_schema(FORM_KINDS[args.kind]))
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    from flows.jobs import sweep

    report = sweep()
    if args.json:
        print_json(report.fired)
    else:
        fired = ", ".join(f"{k} {v}" for k, v in sorted(report.fired.items())) or "nothing due"
        print(f"sweep: {fired}")
    return 0


def mail_poll(args: argparse.Namespace) -> int:
    from flows.jobs import poll, send

    report = poll()
    if report.skipped_locked:
        print("poll: another poller is working on the mailbox; nothing done")
    else:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
        print(f"poll: {report.seen} message(s){': ' + outcomes if outcomes else ''}")
    sent = send()
    print(f"send: {sent.sent} sent, {sent.retrying} to retry, {sent.failed} failed")
    return 0


def mail_ingest(args: argparse.Namespace) -> int:
    from flows.jobs import ingest

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
    result = ingest(raw)
    suffix = f" {result.case_reference}" if result.case_reference else ""
    duplicate = " (duplicate: already processed)" if result.duplicate else ""
    print(f"{result.outcome.value} {result.reason}{suffix}{duplicate}")
    if result.detail:
        print(f"  {result.detail}")
    return 0


def mail_send(args: argparse.Namespace) -> int:
    from flows.jobs import send

    sent = send()
    print(f"send: {sent.sent} sent, {sent.retrying} to retry, {sent.failed} failed")
    return 0


def mail_watch(args: argparse.Namespace) -> int:
    from flows.jobs import watch

    done = watch(args.cycles)
    print(f"watch: {done} poll cycle(s)")
    return 0
