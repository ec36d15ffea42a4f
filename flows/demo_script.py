"""`pdu demo`: the whole system on this machine, with no configuration, in about a minute.

A fresh SQLite database, the embedded mail server (devmail: SMTP + IMAP on loopback) and,
unless `--without-prefect`, a local Prefect server whose flow runs do the work: the same
flows `pdu serve` schedules, called here one after another while the simulated clock
(PDU_NOW) moves through three weeks of office life. People act by real email: they read
their inbox over IMAP and reply over SMTP, as they would in Thunderbird.

The story: Jane's pre-approval request goes from submission to certificate (INFO, answer,
APPROVE 6, proof PDF, ACCEPT); a provider registration is approved (directory entry and
account); a request for an approved provider's activity is redirected by triage; Tom's
request is left alone until the ladder fires (reminder, escalation, reassignment).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

import flows  # noqa: F401  (the project root first: our `mailbox`)
from devmail import DevMail, Endpoints, free_port
from devmail.client import Person, attachments
from flows.cli_support import print_json_line
from models.project_root import ROOT

if TYPE_CHECKING:  # flows.intake imports Prefect: only PrefectRunner pays for it
    from flows.intake import FormKind

DEFAULT_DIR = ROOT / "var" / "demo"
MARKER = ".pdu-demo"  # only a directory holding this is ever wiped
TIMEZONE = "America/Denver"
SYSTEM = "pdu@opi.example"
STAFF = [
    ("rita@opi.example", "Rita Reviewer", "reviewer"),
    ("sam@opi.example", "Sam Supervisor", "supervisor"),
    ("ada@opi.example", "Ada Admin", "admin"),
]
JANE, TOM, LEE = "jane@school.example", "tom@school.example", "lee@school.example"
MARIA = "maria@glacierliteracy.example"
APPLICANTS = [JANE, TOM, LEE, MARIA]
NAMES = {
    **{address: name for address, name, _ in STAFF},
    JANE: "Jane Okafor",
    TOM: "Tom Baker",
    LEE: "Lee Chen",
    MARIA: "Maria Rivera",
}


class DemoFailed(RuntimeError):
    """A step of the demo did not turn out as scripted; the message says which."""


# --- the forms ------------------------------------------------------------------------------


def _preapproval(
    first: str, last: str, email: str, license_number: str, employer: str, **activity: Any
) -> dict[str, Any]:
    return {
        "educator": {
            "first_name": first,
            "last_name": last,
            "email": email,
            "license_number": license_number,
            "license_status": "current",
        },
        "employer": employer,
        "request_type": "pdu_certificate",
        "activity": {
            "description": "A structured, planned programme with an agenda and sign-in.",
            "location": "Billings, MT",
            "format": "in_person",
            "alignment": "Planned and structured; extends existing skills.",
        }
        | activity,
        "retroactive_reason": None,
    }


JANE_FORM = _preapproval(
    "Jane",
    "Okafor",
    JANE,
    "MT-48213",
    "Lame Deer Public Schools",
    title="Trauma-Informed Classrooms Institute",
    provider="Big Sky Learning Collaborative",
    provider_email="info@bigsky.example",
    start_date="2026-12-07",
    end_date="2026-12-09",
    hours=18,
)
TOM_FORM = _preapproval(
    "Tom",
    "Baker",
    TOM,
    "MT-51730",
    "Havre Public Schools",
    title="Project-Based Learning Winter Lab",
    provider="Prairie Learning Lab",
    provider_email="hello@prairielab.example",
    start_date="2026-12-14",
    end_date="2026-12-15",
    hours=12,
    location="Havre, MT",
)
LEE_FORM = _preapproval(
    "Lee",
    "Chen",
    LEE,
    "MT-60214",
    "Helena Public Schools",
    title="Reading Science Summer Course",
    provider="Montana State University",  # in the sample directory: triage redirects
    provider_email="pd@msu.example",
    start_date="2027-01-11",
    end_date="2027-01-15",
    hours=30,
    location="Bozeman, MT",
)
MARIA_FORM = {
    "organization": {
        "name": "Glacier Literacy Partners",
        "kind": "educational_organization",
        "address": "200 Park Ave, Kalispell, MT 59901",
        "website": "https://glacierliteracy.example",
    },
    "manager": {
        "first_name": "Maria",
        "last_name": "Rivera",
        "email": MARIA,
        "phone": "406-555-0177",
    },
    "attest_reporting": True,
    "attest_records_five_years": True,
    "description": "Literacy coaching cycles for K-3 teachers in northwest Montana.",
    "alignment": "Meets ARM 10.55.714: sustained, job-embedded, evaluated.",
    "evidence": "Evaluations from three partner districts.",
}


def proof_pdf() -> bytes:
    """Jane's certificate of attendance, as the provider would hand it out."""
    from templates.documents import plain_pdf

    html = (
        "<h1>Certificate of attendance</h1><p>Jane Okafor attended the "
        "<b>Trauma-Informed Classrooms Institute</b>, Billings, MT, December 7-9, 2026 "
        "(18 hours).</p><p>Big Sky Learning Collaborative</p>"
    )
    return plain_pdf(html)


# --- how the flows run ------------------------------------------------------------------------


class Runner(Protocol):
    def intake(self, kind: FormKind, form: dict[str, Any]) -> dict[str, Any]: ...
    def poll(self) -> dict[str, int]: ...
    def sweep(self) -> dict[str, int]: ...
    def sla(self) -> dict[str, Any]: ...


class DirectRunner:
    """The flows' bodies, without Prefect (`--without-prefect`)."""

    def intake(self, kind: FormKind, form: dict[str, Any]) -> dict[str, Any]:
        from flows import jobs

        result = jobs.intake(kind, form, channel="cli")
        if not result.ok:
            raise DemoFailed(f"the {kind} form was refused: {result.problems}")
        return {"reference": result.reference, "status": result.status}

    def poll(self) -> dict[str, int]:
        from flows import jobs

        report, sent = jobs.poll(), jobs.send()
        return {"seen": report.seen, **report.outcomes, "sent": sent.sent}

    def sweep(self) -> dict[str, int]:
        from flows import jobs

        fired = jobs.sweep().fired
        jobs.send()
        return fired

    def sla(self) -> dict[str, Any]:
        from models import clock
        from models.services.context import ServiceContext
        from models.services.status import office_status
        from models.uow import UnitOfWork

        with UnitOfWork() as work:
            overall = office_status(ServiceContext.of(work, clock.now())).sla_all
        return {"decided": overall.decided, "on_time": overall.on_time}


class PrefectRunner:
    """The flows themselves: every call is a flow run on the local Prefect server."""

    def __init__(self) -> None:
        from prefect import tags

        from flows.deadlines import sweep_deadlines
        from flows.intake import intake
        from flows.poll import poll_mailbox
        from flows.sla_summary import sla_summary

        self._tags = tags
        self._intake, self._poll, self._sweep = intake, poll_mailbox, sweep_deadlines
        self._sla = sla_summary

    def intake(self, kind: FormKind, form: dict[str, Any]) -> dict[str, Any]:
        with self._tags("pdu", "demo", "intake"):
            return dict(self._intake(kind, form))

    def poll(self) -> dict[str, int]:
        with self._tags("pdu", "demo", "mail"):
            return dict(self._poll())

    def sweep(self) -> dict[str, int]:
        with self._tags("pdu", "demo", "deadlines"):
            return dict(self._sweep())

    def sla(self) -> dict[str, Any]:
        with self._tags("pdu", "demo", "deadlines"):
            return dict(self._sla())

    def close(self) -> None:
        """Deliver the runs' last logs and events while the server is still up."""
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=10)
        EventsWorker.drain_all(timeout=10)


# --- the story -------------------------------------------------------------------------------


class Demo:
    def __init__(self, mail: Endpoints, runner: Runner, say: Callable[[str], None]) -> None:
        self.mail = mail
        self.runner = runner
        self.say = say
        self.references: dict[str, str] = {}

    def person(self, address: str) -> Person:
        return Person(self.mail, address, NAMES.get(address, ""))

    def at(self, instant: str) -> None:
        os.environ["PDU_NOW"] = instant
        local = datetime.fromisoformat(instant).astimezone(ZoneInfo(TIMEZONE))
        self.say(f"── {local:%a %d %b %Y, %H:%M %Z} " + "─" * 40)

    def submit(self, who: str, kind: FormKind, form: dict[str, Any], what: str) -> str:
        result = self.runner.intake(kind, form)
        reference = str(result["reference"])
        self.say(f"{who} submits {what} → {reference} ({result['status'].replace('_', ' ')})")
        return reference

    def poll(self) -> dict[str, int]:
        report = self.runner.poll()
        done = ", ".join(f"{k} {v}" for k, v in report.items() if k not in ("seen", "sent"))
        read = f"{report.get('seen', 0)} message(s) read" + (f" ({done})" if done else "")
        self.say(f"mailbox-poll: {read}; {report.get('sent', 0)} email(s) sent")
        return report

    def sweep(self) -> dict[str, int]:
        fired = self.runner.sweep()
        said = ", ".join(f"{k} {v}" for k, v in sorted(fired.items())) or "nothing due"
        self.say(f"deadlines-sweep: {said}")
        return fired

    def reads(self, address: str, *subject: str) -> Any:
        try:
            message = self.person(address).find(*subject)
        except LookupError as exc:  # the email the story expects never came
            raise DemoFailed(str(exc)) from None
        self.say(f"{address} reads “{str(message['Subject']).strip()}”")
        return message

    def replies(self, address: str, original: Any, text: str, **kwargs: Any) -> None:
        from models import clock

        self.person(address).reply(original, text, at=clock.now(), **kwargs)
        first = text.strip().splitlines()[0]
        files = kwargs.get("files")
        attached = f" + {', '.join(f[0] for f in files)}" if files else ""
        self.say(f"{address} replies “{first}”{attached}")

    def expect(self, reference: str, status: str) -> None:
        actual = case_status(reference)
        if actual != status:
            raise DemoFailed(f"{reference} is {actual}, expected {status}")
        self.say(f"   {reference} is now {status.replace('_', ' ')}")

    def run(self) -> dict[str, str]:
        refs = self.references
        self.at("2026-11-20T09:00:00-07:00")
        refs["jane"] = self.submit(JANE, "preapproval", JANE_FORM, "a pre-approval request (18 h)")
        refs["tom"] = self.submit(TOM, "preapproval", TOM_FORM, "a pre-approval request (12 h)")
        refs["lee"] = self.submit(
            LEE, "preapproval", LEE_FORM, "a request for Montana State University's course"
        )
        refs["maria"] = self.submit(
            MARIA, "provider", MARIA_FORM, "a provider registration (Glacier Literacy Partners)"
        )
        self.poll()
        self.reads(LEE, refs["lee"])

        self.at("2026-11-23T09:00:00-07:00")
        task = self.reads("rita@opi.example", refs["jane"], "Review")
        self.replies("rita@opi.example", task, "INFO Which of the three days are in person?")
        registration = self.reads("rita@opi.example", refs["maria"], "Review")
        self.replies("rita@opi.example", registration, "APPROVE")
        self.poll()
        self.expect(refs["jane"], "awaiting_applicant")
        self.expect(refs["maria"], "completed")
        welcome = self.reads(MARIA, refs["maria"], "approved")
        username = next(
            (line.split()[-1] for line in body(welcome).splitlines() if "username" in line.lower()),
            "?",
        )
        self.say(f"   Glacier Literacy Partners is in the directory; account {username}")

        self.at("2026-11-24T09:00:00-07:00")
        question = self.reads(JANE, refs["jane"], "question")
        self.replies(JANE, question, "All three days are in person in Billings.")
        self.poll()
        self.expect(refs["jane"], "in_review")

        self.at("2026-11-25T09:00:00-07:00")
        forwarded = self.reads("rita@opi.example", refs["jane"], "answered")
        self.replies(
            "rita@opi.example", forwarded, "APPROVE 6\n\nOnly the in-person sessions count."
        )
        self.poll()
        self.expect(refs["jane"], "awaiting_proof")
        self.reads(JANE, refs["jane"], "Pre-approved")

        # Tom's request (due Wed 2 Dec: 7 business days, Thanksgiving excluded) is ignored.
        self.at("2026-11-30T17:05:00-07:00")
        self.sweep()
        self.reads("rita@opi.example", refs["tom"], "Reminder")
        self.at("2026-12-02T17:05:00-07:00")
        self.sweep()
        overdue = self.reads("sam@opi.example", refs["tom"], "Overdue")
        self.say(f"   copied to the supervisor: {overdue['Cc'] or overdue['To']}")
        self.at("2026-12-04T17:05:00-07:00")
        self.sweep()
        self.reads("sam@opi.example", refs["tom"], "Reassigned")
        self.reads("ada@opi.example", refs["tom"], "Overdue task reassigned")

        self.at("2026-12-10T09:00:00-07:00")
        approval = self.reads(JANE, refs["jane"], "Pre-approved")
        self.replies(
            JANE,
            approval,
            "Here is my certificate of attendance.",
            files=[("attendance.pdf", "application/pdf", proof_pdf())],
        )
        self.poll()
        self.expect(refs["jane"], "proof_review")

        self.at("2026-12-11T09:00:00-07:00")
        proof = self.reads("rita@opi.example", refs["jane"], "proof")
        self.replies("rita@opi.example", proof, "ACCEPT")
        self.poll()
        self.expect(refs["jane"], "completed")
        issued = self.reads(JANE, refs["jane"], "certificate")
        pdfs = [name for name, data in attachments(issued) if data.startswith(b"%PDF")]
        if not pdfs:
            raise DemoFailed("the certificate email carries no PDF")
        self.say(f"   attached: {', '.join(pdfs)}")

        self.at("2026-12-11T17:30:00-07:00")
        sla = self.runner.sla()
        self.say(
            f"sla-summary: {sla['decided']} decision(s) in 30 days, {sla['on_time']} within "
            "seven business days"
        )
        return refs


def body(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def case_status(reference: str) -> str:
    from models.services.case_view import get_case
    from models.uow import UnitOfWork

    with UnitOfWork() as work:
        return str(get_case(work.session, reference).status)


def certificate_file(reference: str) -> tuple[Path, str]:
    """The PDF of the case's certificate and its verification address (its QR code's)."""
    from sqlalchemy import select

    from models.certificates import Certificate
    from models.data_dir import certificate_path
    from models.services.case_view import get_case
    from models.services.issuing import verification_url
    from models.uow import UnitOfWork

    with UnitOfWork() as work:
        case = get_case(work.session, reference)
        found = work.session.execute(
            select(Certificate.number, Certificate.verification_code).where(
                Certificate.case_id == case.id
            )
        ).first()
        if found is None:
            raise DemoFailed(f"{reference} has no certificate")
        url = verification_url(work.settings.public_url, found.verification_code)
        return certificate_path(work.settings.data_dir, found.number), url


# --- setting the stage -----------------------------------------------------------------------


def fresh_directory(directory: Path) -> Path:
    """An empty demo directory; an old demo's is wiped, anything else is refused."""
    directory = directory.resolve()
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            from models.services.errors import UserError

            raise UserError(f"{directory} is not empty and not a demo directory: choose another")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("made by `pdu demo`; wiped by the next one\n")
    return directory


def demo_environment(directory: Path, mail: Endpoints, public_url: str) -> None:
    """Only the demo's settings: none of the user's PDU_* or Prefect API leaks in."""
    from models.db import dispose_engines
    from models.settings import new_secret, reset_settings

    for name in list(os.environ):
        if name.startswith("PDU_"):
            del os.environ[name]
    os.environ.update(mail.settings_env(SYSTEM))
    os.environ["PDU_DATA_DIR"] = str(directory)
    os.environ["PDU_SECRET_KEY"] = new_secret()  # the demo's own, thrown away with it
    os.environ["PDU_TIMEZONE"] = TIMEZONE
    os.environ["PDU_NOW"] = "2026-11-20T09:00:00-07:00"
    os.environ["PDU_PUBLIC_URL"] = public_url  # certificates' QR codes open the demo's web
    reset_settings()
    dispose_engines()


def seed() -> str:
    from models import clock
    from models.migrate import upgrade
    from models.services.directory import import_csv
    from models.services.staff import add_staff
    from models.settings import get_settings
    from models.uow import UnitOfWork

    upgrade(get_settings().sqlalchemy_url)
    with UnitOfWork() as work:
        for address, name, role in STAFF:
            add_staff(work.session, address, name, role, clock.now())
        report = import_csv(work.session, ROOT / "scripts" / "sample-directory.csv", clock.now())
        work.commit()
    return ", ".join(f"{role} {address}" for address, _, role in STAFF) + (
        f"; {len(report.added)} approved providers in the directory"
    )


@contextmanager
def stage(directory: Path, with_prefect: bool, say: Callable[[str], None]) -> Iterator[Any]:
    """Mail server, database, seeds and (optionally) Prefect; everything stops on exit."""
    with ExitStack() as stack:
        server = None
        if with_prefect:
            from flows.serve import LocalPrefectServer, app_logs_to_prefect, quiet_prefect

            quiet_prefect()
            app_logs_to_prefect()
            # Boots in the background (15-45 s the first time) while the stage is set.
            server = LocalPrefectServer(
                home=directory / "prefect", log=directory / "prefect" / "server.log"
            )
            server.start_async()
            stack.callback(server.stop)
            os.environ.pop("PREFECT_PROFILE", None)  # a user's profile must not point elsewhere
            os.environ["PREFECT_API_URL"] = server.api_url
            os.environ["PREFECT_HOME"] = str(directory / "prefect")
            # Flow runs log to the UI; the terminal keeps the demo's own lines (Prefect's
            # console handler, and the `pdu` command's root handler its records reach).
            os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
            for handler in logging.getLogger().handlers:
                handler.setLevel(max(handler.level, logging.WARNING))
            say(f"prefect: starting a local server for {server.ui_url} (in the background)")
        mail = DevMail(directory / "mail", accounts=[SYSTEM, *(s[0] for s in STAFF), *APPLICANTS])
        endpoints = mail.start()
        stack.callback(mail.stop)
        say(
            f"mail: IMAP {endpoints.host}:{endpoints.imap_port}, "
            f"SMTP {endpoints.host}:{endpoints.smtp_port}"
        )
        from web.server import WebServer

        web = WebServer(port=free_port(8000))
        demo_environment(directory, endpoints, web.url)
        say(f"office: {seed()}")
        web.start()
        stack.callback(web.stop)
        say(f"web: {web.url} (forms, certificate verification, provider directory)")
        runner: Runner = DirectRunner()
        if server is not None:
            prefect_runner = PrefectRunner()  # imports Prefect while its server boots
            stack.callback(prefect_runner.close)  # runs before the server stops
            runner = prefect_runner
            if not server.healthy():
                say("prefect: waiting for the server (a first start sets up its database)")
            server.wait()
            say(f"prefect: server up; flows run as Prefect flow runs ({server.ui_url})")
        yield endpoints, runner, server


def run_demo(args: argparse.Namespace) -> int:
    began = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - began:5.1f}s] {line}", flush=True)

    directory = fresh_directory(Path(args.dir) if args.dir else DEFAULT_DIR)
    keep = args.keep_running if args.keep_running is not None else sys.stdin.isatty()
    out = sys.stdout
    with ExitStack() as stack:
        if args.json:  # the story goes to stderr; stdout carries only the JSON result
            stack.enter_context(redirect_stdout(sys.stderr))
        print(f"PDU workflows demo in {directory} (a fresh SQLite database; wiped at each run)")
        mail, runner, server = stack.enter_context(stage(directory, not args.without_prefect, say))
        refs = Demo(mail, runner, say).run()
        elapsed = time.monotonic() - began
        result = summary(refs, mail, server, elapsed, keep)
        if args.json:
            with redirect_stdout(out):
                print_json_line(result | {"directory": str(directory)})
        if keep:
            keep_serving(server)
    return 0


def summary(
    refs: dict[str, str], mail: Endpoints, server: Any, elapsed: float, keep: bool
) -> dict[str, Any]:
    """Prints what the demo left behind; returns it for `pdu demo --json`."""
    from flows import cli_cases, cli_status
    from flows.serve import load_definitions

    later = "" if keep else "; it stops with the demo: run `pdu demo` in a terminal to keep it"
    print(f"\nDone in {elapsed:.0f} s.")
    pdf, verify_url = certificate_file(refs["jane"])
    print(f"\nCertificate PDF: {pdf}")
    print(f"Its QR code opens: {verify_url}  (the web front{later})")
    print(f"\n$ pdu case show {refs['jane']}")
    cli_cases.print_case(refs["jane"])
    print("\n$ pdu status")
    cli_status.print_status(30)
    print()
    if server is not None:
        print(f"Prefect UI: {server.ui_url}  (this demo's flow runs and artifacts{later})")
    print("Deployments (`pdu serve` schedules them):")
    definitions = load_definitions()
    name_width = max(len(d["name"]) for d in definitions)
    entry_width = max(len(d["entrypoint"]) for d in definitions)
    for d in definitions:
        when = "; ".join(
            f"every {s['interval']} s" if "interval" in s else f"cron {s['cron']}"
            for s in d.get("schedules") or []
        )
        entrypoint = d["entrypoint"]
        print(f"  {d['name']:<{name_width}} {entrypoint:<{entry_width}} {when or 'on demand'}")
    print(f"\nMail, for Thunderbird or any client (this machine only{later}):")
    for line in mail.describe():
        print(f"  {line}")
    logins = [SYSTEM, *(s[0] for s in STAFF), *APPLICANTS]
    print(f"  logins: {', '.join(logins)}")
    print(
        f"  {refs['tom']} now waits for sam@opi.example: log in as Sam and reply to the "
        "task with APPROVE or DENY <reason>."
    )
    return {
        "event": "done",
        "references": refs,
        "certificate_pdf": str(pdf),
        "verify_url": verify_url,
        "prefect_ui": server.ui_url if server is not None else None,
        "mail": mail.as_dict(),
        "logins": logins,
        "seconds": round(elapsed, 1),
    }


def keep_serving(server: Any) -> None:
    """Hand over to the schedules so a person can go on by email (Ctrl-C stops it all)."""
    when = os.environ.get("PDU_NOW", "")
    print(
        f"\nStill running (the clock stays at {when}): mail is read every minute. "
        "Ctrl-C stops everything."
    )
    if server is None:
        from flows import jobs

        while True:
            jobs.poll()
            jobs.send()
            time.sleep(60)
    from flows.serve import build_deployments, serve_deployments

    serve_deployments(build_deployments())
