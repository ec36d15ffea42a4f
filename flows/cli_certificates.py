"""`pdu certificate …` and `pdu provider …`: certificates after issue, and approved
providers' events with bulk issuance from rosters."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.cli_support import (
    EXIT_DONE,
    EXIT_REFUSED,
    EXIT_USAGE,
    CommandFailed,
    Failure,
    add_page_arguments,
    emit_rows,
    page_of,
    print_result,
    print_table,
    progress,
    uow,
)
from models import clock
from models.services.errors import UserError

# `pdu certificate verify` exit codes: scripts can tell the answers apart.
EXIT_VALID, EXIT_NOT_VALID = EXIT_DONE, EXIT_REFUSED  # 4: see `pdu --help`


def register(commands: Any) -> None:
    _register_certificate(commands)
    _register_provider(commands)


def _register_certificate(commands: Any) -> None:
    cert = commands.add_parser("certificate", help="issued certificates: list, verify, revoke")
    sub = cert.add_subparsers(dest="certificate_command", required=True)

    lst = sub.add_parser(
        "list",
        help="list certificates in number order, 50 a page",
        description="Certificates in number order, 50 a page (--limit, --page or --after, --all).",
    )
    lst.add_argument("--event", metavar="ID", help="only those of a provider's event")
    lst.add_argument("--email", metavar="ADDRESS", help="only those of one educator")
    add_page_arguments(lst, after="NUMBER")
    lst.set_defaults(handler=certificate_list)

    verify = sub.add_parser(
        "verify",
        help="what a certificate's verification says (exit 0 valid, else 4)",
        description="CODE is a verification code or certificate number, or the path of a "
        "certificate PDF or credential JSON (its signature is checked too).",
    )
    verify.add_argument("code", metavar="CODE")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=certificate_verify)

    revoke = sub.add_parser("revoke", help="revoke a certificate; verifiers see the reason")
    revoke.add_argument("number")
    revoke.add_argument("--reason", required=True, help="shown to anyone who verifies it")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(handler=certificate_revoke)

    reissue = sub.add_parser(
        "reissue", help="issue a corrected certificate; the old one is revoked and points to it"
    )
    reissue.add_argument("number")
    reissue.add_argument("--name", help="the holder's name as it should read")
    reissue.add_argument("--license-number")
    reissue.add_argument("--hours", help="PDU hours (at most what was approved or offered)")
    reissue.add_argument("--title", help="the activity's title as it should read")
    reissue.add_argument("--reason", help="what was corrected (default: corrected)")
    reissue.add_argument("--json", action="store_true")
    reissue.set_defaults(handler=certificate_reissue)

    transcript = sub.add_parser(
        "transcript", help="an educator's certificates and units toward the 60 for renewal"
    )
    transcript.add_argument("license_number", metavar="LICENSE_NUMBER")
    transcript.add_argument(
        "--expires",
        metavar="DATE",
        help="the license's expiry date: its cycle is the five years ending then "
        "(default: the five school years ending next June 30)",
    )
    transcript.add_argument("--json", action="store_true")
    transcript.set_defaults(handler=certificate_transcript)

    credential = sub.add_parser(
        "credential", help="a certificate's signed Open Badges 3.0 credential (JSON)"
    )
    credential.add_argument("number")
    credential.add_argument("--output", type=Path, metavar="FILE", help="write it to a file")
    credential.add_argument(
        "--json", action="store_true", help="with --output: where it went, as JSON"
    )
    credential.set_defaults(handler=certificate_credential)


def _register_provider(commands: Any) -> None:
    provider = commands.add_parser(
        "provider", help="approved providers: events, bulk certificates, annual report"
    )
    sub = provider.add_subparsers(dest="provider_command", required=True)

    event = sub.add_parser("event", help="activities reported by approved providers")
    events = event.add_subparsers(dest="event_command", required=True)
    add = events.add_parser("add", help="report an activity (prints the event id)")
    add.add_argument("--provider", required=True, metavar="NAME_OR_NUMBER")
    add.add_argument("--title", required=True)
    add.add_argument("--start", required=True, metavar="DATE")
    add.add_argument("--end", required=True, metavar="DATE")
    add.add_argument("--hours", required=True, help="PDU hours of full attendance")
    add.add_argument(
        "--format",
        default="in_person",
        help="in_person (default), virtual, hybrid, self_paced (continuously available), "
        "virtual_conference",
    )
    add.add_argument(
        "--location", action="append", default=[], help="where (repeat for several places)"
    )
    add.add_argument("--description")
    add.add_argument("--schedule", help="sessions and times, e.g. 'Mon-Wed 8:30-15:30'")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=event_add)
    elist = events.add_parser("list", help="list reported activities")
    elist.add_argument("--provider", metavar="NAME_OR_NUMBER")
    elist.add_argument("--json", action="store_true")
    elist.set_defaults(handler=event_list)

    issue = sub.add_parser(
        "issue",
        help="issue certificates from an attendee roster (CSV)",
        description="The roster's header is first_name,last_name,email,license_number,hours. "
        "Every line is checked first; nothing is issued unless all are valid "
        "(or --skip-invalid). Each attendee gets their certificate by email.",
    )
    issue.add_argument("event_id", metavar="EVENT_ID")
    issue.add_argument("roster", type=Path, metavar="ROSTER.csv")
    issue.add_argument("--skip-invalid", action="store_true", help="issue the valid lines")
    issue.add_argument("--workers", type=int, help="render in N processes (default: CPUs, ≤4)")
    issue.add_argument("--json", action="store_true")
    issue.set_defaults(handler=provider_issue)

    report = sub.add_parser("report", help="the annual report (ARM 10.57.216) as CSV and PDF")
    report.add_argument("provider", metavar="PROVIDER")
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--output", type=Path, default=Path("."), metavar="DIR")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=provider_report)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option} must be a date like 2027-06-15, not {text!r}") from None


def _tz() -> ZoneInfo:
    from models.settings import get_settings

    return ZoneInfo(get_settings().timezone)


def _ctx(work: Any) -> Any:
    from models.services.context import ServiceContext

    return ServiceContext.of(work, clock.now())


# --- pdu certificate ---------------------------------------------------------------------


def certificate_list(args: argparse.Namespace) -> int:
    from models.services.issuing import certificate_id, certificate_rows

    event_id = None
    if args.event is not None:
        try:
            event_id = int(args.event)
        except ValueError:
            raise UserError(f"an event id is a number, not {args.event!r}") from None
    with uow() as work:
        page = page_of(args, lambda number: certificate_id(work.session, number))
        tz = ZoneInfo(work.settings.timezone)
        emit_rows(
            certificate_rows(work.session, page, tz, event_id=event_id, email=args.email),
            [("NUMBER", "number"), ("STATUS", "status"), ("HOURS", "hours"),
             ("HOLDER", "holder"), ("EMAIL", "email"), ("ISSUED", "issued_on"),
             ("ACTIVITY", "activity")],
            args,
            next_hint=lambda last: f"(more: --after {last['number']})",
        )  # fmt: skip
    return 0


def _read_credential(path: Path) -> dict[str, Any]:
    from models.services.issuing import credential_of

    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    if content.startswith(b"%PDF"):
        return credential_of(content)
    try:
        data = json.loads(content)
    except ValueError:
        raise UserError(f"{path} is neither a certificate PDF nor a credential JSON") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} does not hold one credential")
    return data


def certificate_verify(args: argparse.Namespace) -> int:
    from models.enums import CertificateStatus
    from models.services.certificate_view import view_of
    from models.services.issuing import code_of, issuer_dids, signature_problem
    from models.services.verification import verify
    from templates.hours import hours_number

    signature: dict[str, Any] | None = None
    code = args.code
    path = Path(args.code)
    with uow() as work:
        if path.is_file():
            credential = _read_credential(path)
            trusted = issuer_dids(work.settings.keys)  # current and earlier secrets
            problem = signature_problem(work.settings, credential)
            signer = (credential.get("issuer") or {}).get("id")
            issuer = signer if problem is None else trusted[0]
            signature = {"verified": problem is None, "problem": problem, "issuer": issuer}
            code = code_of(credential)
        result = verify(work.session, code)
        cert = result.certificate
        if cert is None:
            if signature is not None and not signature["verified"]:
                line = f"signature: NOT verified: {signature['problem']}"
                value = {"answer": result.answer, "signature": signature}
                return print_result(args.json, value, line, EXIT_NOT_VALID)
            raise UserError(
                f"{code.strip()}: {result.answer} (no certificate has this number or code)"
            )
        shown = view_of(cert, ZoneInfo(work.settings.timezone))
        status = shown.status
        view: dict[str, Any] = {
            "answer": result.answer,
            "status": str(status),
            "number": shown.number,
        }
        if not shown.disposed:
            view |= {
                "holder": shown.holder,
                "hours": hours_number(shown.hours),
                "activity": shown.activity,
                "provider": shown.provider,
                "issued_on": shown.issued_on.isoformat(),
                "revoked_on": shown.revoked_at.date().isoformat() if shown.revoked_at else None,
                "revoked_reason": shown.revoked_reason,
                "replaced_by": shown.replaced_by,
                "imported": shown.imported_on is not None,
            }
    if signature is not None:
        view["signature"] = signature
    valid = status is CertificateStatus.VALID and (signature is None or signature["verified"])
    code = EXIT_VALID if valid else EXIT_NOT_VALID
    return print_result(args.json, view, _verify_lines(view, status, signature), code)


def _verify_lines(view: dict[str, Any], status: Any, signature: dict[str, Any] | None) -> str:
    from models.enums import CertificateStatus

    lines = []
    if signature is not None:
        if signature["verified"]:
            lines.append(f"signature: verified (issuer {signature['issuer']})")
        else:
            lines.append(f"signature: NOT verified: {signature['problem']}")
    answer = view["answer"]
    if status is CertificateStatus.DISPOSED:
        lines.append(f"{view['number']}: {answer}")
    else:
        lines.append(
            f"{view['number']}: {answer}: {view['holder']}, {view['hours']} PDU hours, "
            f"“{view['activity']}”, issued {view['issued_on']}"
            + (" (imported from the old system)" if view["imported"] else "")
        )
    if status is CertificateStatus.REVOKED:
        lines.append(f"  revoked on {view['revoked_on']}: {view['revoked_reason']}")
        if view["replaced_by"]:
            lines.append(f"  replaced by {view['replaced_by']}")
    return "\n".join(lines)


def certificate_revoke(args: argparse.Namespace) -> int:
    from models.services.issuing import revoke

    with uow() as work:
        certificate = revoke(_ctx(work), args.number, args.reason)
        work.commit()
        value = {
            "number": certificate.number,
            "status": "revoked",
            "reason": certificate.revoked_reason,
            "holder_told": certificate.person_id is not None,
        }
    told = " (the holder is told by email)" if value["holder_told"] else ""
    return print_result(args.json, value, f"{value['number']} revoked: {value['reason']}{told}")


def certificate_reissue(args: argparse.Namespace) -> int:
    from models.services.issuing import Corrections, reissue
    from models.services.provider_events import parse_hours

    corrections = Corrections(
        holder_name=args.name,
        license_number=args.license_number,
        hours=parse_hours(args.hours) if args.hours is not None else None,
        activity_title=args.title,
    )
    with uow() as work:
        old, new = reissue(_ctx(work), args.number, corrections, args.reason)
        work.commit()
        value = {"number": new.number, "replaces": old.number}
    line = f"{value['number']} issued; {value['replaces']} is revoked and points to it"
    return print_result(args.json, value, line)


def certificate_transcript(args: argparse.Namespace) -> int:
    from models.services.issuing import transcript

    expires = _date(args.expires, "--expires") if args.expires else None
    with uow() as work:
        result = transcript(work.session, args.license_number, _ctx(work).today, expires)
    cycle = result.cycle
    value = {
        "license_number": result.license_number,
        "holder": result.holder_name,
        "cycle": {"start": cycle.start.isoformat(), "end": cycle.end.isoformat()},
        "required": 60,
        "total": _num(result.total),
        "remaining": _num(result.remaining),
        "certificates": [
            {
                "number": line.entry.number,
                "activity": line.entry.activity_title,
                "provider": line.entry.provider,
                "start_date": line.entry.start_date.isoformat(),
                "end_date": line.entry.end_date.isoformat(),
                "hours": _num(line.entry.hours),
                "status": line.entry.status,
                "in_cycle": line.in_cycle,
                "counts": line.counts,
            }
            for line in result.lines
        ],
    }
    return print_result(args.json, value, lambda: _print_transcript(result))


def _print_transcript(result: Any) -> None:
    from templates.hours import hours_text as hours
    from templates.render import date_short

    cycle = result.cycle
    print(f"Transcript of license {result.license_number}: {result.holder_name}")
    done = "complete" if result.complete else f"{hours(result.remaining)} to go"
    print(
        f"Cycle {date_short(cycle.start)} – {date_short(cycle.end)}: "
        f"{hours(result.total)} of 60 units ({done})"
    )
    print_table(
        ["NUMBER", "COMPLETED", "UNITS", "STATUS", "COUNTS", "ACTIVITY", "PROVIDER"],
        [
            [
                line.entry.number,
                line.entry.end_date.isoformat(),
                hours(line.entry.hours),
                line.entry.status,
                "yes" if line.counts else ("no" if line.in_cycle else "other cycle"),
                line.entry.activity_title,
                line.entry.provider or "OPI pre-approval",
            ]
            for line in result.lines
        ],
    )


def _num(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def certificate_credential(args: argparse.Namespace) -> int:
    from models import credentials
    from models.services.issuing import stored_credential
    from models.services.verification import get_certificate

    with uow() as work:
        credential = stored_credential(_ctx(work), get_certificate(work.session, args.number))
    content = credentials.dumps(credential)
    if args.output:
        try:
            args.output.write_bytes(content)
        except OSError as exc:
            raise UserError(f"cannot write {args.output}: {exc.strerror}") from None
        value = {"number": args.number, "output": str(args.output)}
        return print_result(args.json, value, f"wrote {args.output}")
    sys.stdout.write(content.decode("utf-8"))  # JSON already, --json or not: the credential
    return 0


# --- pdu provider ------------------------------------------------------------------------


def event_add(args: argparse.Namespace) -> int:
    from models.services.provider_events import add_event

    with uow() as work:
        event = add_event(
            _ctx(work),
            args.provider,
            title=args.title,
            start=_date(args.start, "--start"),
            end=_date(args.end, "--end"),
            hours=args.hours,
            format=args.format,
            locations=args.location,
            description=args.description,
            schedule=args.schedule,
        )
        work.commit()
        event_id, late = event.id, event.reported_late
    if late and not args.json:
        print("note: reported after the activity began", file=sys.stderr)
    return print_result(args.json, {"event_id": event_id, "reported_late": late}, str(event_id))


def event_list(args: argparse.Namespace) -> int:
    from models.services.provider_events import list_events

    with uow() as work:
        rows = [
            {
                "event_id": e.id,
                "provider": e.provider.number,
                "title": e.title,
                "start_date": e.start_date.isoformat(),
                "end_date": e.end_date.isoformat(),
                "hours": _num(Decimal(e.hours)),
                "format": str(e.format),
                "locations": e.locations,
                "certificates_issued": e.certificates_issued,
            }
            for e in list_events(work.session, args.provider)
        ]
    table = [
        [r["event_id"], r["provider"], r["start_date"], r["end_date"], r["hours"],
         r["format"], r["certificates_issued"], r["title"]]
        for r in rows
    ]  # fmt: skip
    headers = ["ID", "PROVIDER", "START", "END", "HOURS", "FORMAT", "ISSUED", "TITLE"]
    return print_result(args.json, rows, lambda: print_table(headers, table))


def provider_issue(args: argparse.Namespace) -> int:
    from models.services.provider_events import accept_roster, issue_pending
    from models.uow import UnitOfWork

    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be at least 1")
    try:
        content = args.roster.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {args.roster}: {exc.strerror}") from None
    result = accept_roster(
        UnitOfWork, args.event_id, content, clock.now(), skip_invalid=args.skip_invalid
    )
    roster = result.roster
    accepted = not roster.problems or args.skip_invalid
    if accepted:
        with progress("issuing certificates") as on_progress:
            result.batch = issue_pending(
                UnitOfWork, result.event_id, workers=args.workers, on_progress=on_progress
            )
    errors = [{"line": p.line, "message": p.message} for p in roster.problems]
    if result.batch:
        errors += [
            {"line": line, "message": f"not issued: {why}"} for line, why in result.batch.failed
        ]
    skipped = [
        {"line": s.line, "license_number": s.license_number, "reason": s.reason}
        for s in roster.skipped
    ]
    value = {"issued": result.issued, "skipped": skipped, "errors": errors}
    if not accepted:
        message = "\n".join(
            [
                f"the roster has {len(roster.problems)} problem(s); nothing was issued "
                "(fix them, or --skip-invalid to issue the valid lines):",
                *(f"  {problem}" for problem in roster.problems),
            ]
        )
        raise CommandFailed(Failure(EXIT_USAGE, "usage", message, value))
    lines = [
        f"issued {result.issued} certificate(s) for event {result.event_id}; emails queued",
        *(f"  line {skip.line}: skipped ({skip.reason})" for skip in roster.skipped),
        *(f"  {problem}: not issued" for problem in roster.problems),
        *(
            f"  line {line}: not issued ({why}); staff are told"
            for line, why in (result.batch.failed if result.batch else ())
        ),
    ]
    return print_result(args.json, value, "\n".join(lines))


def provider_report(args: argparse.Namespace) -> int:
    from models.services.provider_events import annual_report, report_csv, report_paths, report_pdf

    with uow() as work:
        report = annual_report(work.session, args.provider, args.year, clock.now())
        csv_path, pdf_path = report_paths(args.output, report)
        try:
            args.output.mkdir(parents=True, exist_ok=True)
            csv_path.write_bytes(report_csv(report))
            pdf_path.write_bytes(report_pdf(report, work.settings.timezone))
        except OSError as exc:
            raise UserError(f"cannot write the report in {args.output}: {exc.strerror}") from None
        name, events, participants = report.provider.name, len(report.events), report.participants
    value = {"csv": str(csv_path), "pdf": str(pdf_path), "events": events,
             "participants": participants}  # fmt: skip
    noun = "activity" if events == 1 else "activities"
    line = f"{name}, {args.year}: {events} {noun}, {participants} participant(s)"
    return print_result(args.json, value, f"{line}\n  {csv_path}\n  {pdf_path}")
