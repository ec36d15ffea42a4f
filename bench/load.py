"""Load: a burst of reviewers' replies and emailed submissions through the real Dovecot,
worked off by `pdu mail watch` (IMAP IDLE on), then single replies outside the burst.

    python bench/load.py                                # 1,000 replies + 200 submissions
    python bench/load.py --replies 10000 --submissions 2000   # the issue's full size
    python bench/load.py --database postgresql
    python bench/load.py --smtp-latency 100   # the SMTP server answering as a hosted relay

Reports the throughput and the time until the backlog is empty (inbox empty, outbox sent),
next to the time Dovecot itself took to take the burst in (IMAP APPEND, the baseline of
the same run); and the delay from a reply landing in the inbox to the applicant's email
reaching the SMTP server, p50/p95, in the burst and outside it (`--steady` single replies,
one at a time; target p95 under 10 s), and the SMTP server alone taking emails from one
client, the floor under how fast the outbox can be emptied here.

The replies are bench/inbound.py's day of mail (approve, deny, info, answers, proof with a
PDF, auto-replies, thanks) answering cases set up first (not timed); the submissions are
pre-approval forms attached as JSON. "The applicant's email" is the decision or question
about the case a reviewer answered (APPROVE, DENY, INFO) and the acknowledgment of a
submission. The SMTP server is tests/services' front that delivers into Dovecot.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flows  # noqa: E402,F401  (our `mailbox` ahead of the standard library's)
from bench.databases import bench_databases  # noqa: E402  (after the path)

NOW = "2026-11-20T16:00:00Z"
SYSTEM = "pdu@opi.example"
APPLICANT_KINDS = {"approve", "deny", "info"}


class Arrivals:
    """What the SMTP server accepted, with the time: (monotonic, recipients, subject);
    with `latency`, each MAIL, RCPT, DATA and NOOP answered that much later, as a hosted
    relay across the internet would (100-300 ms a round trip)."""

    def __init__(self, relay: Any, latency: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[float, list[str], str]] = []
        original = relay.handle_DATA

        async def handle_data(server: Any, session: Any, envelope: Any) -> str:
            answer = await original(server, session, envelope)
            head = BytesHeaderParser().parsebytes(envelope.original_content or b"")
            with self.lock:
                self.seen.append((time.monotonic(), list(envelope.rcpt_tos), str(head["Subject"])))
            return answer

        relay.handle_DATA = handle_data
        self.commands = {"NOOP": 0, "QUIT": 0}  # liveness checks; connections ended

        def counting(command: str, answer: str) -> Any:
            async def hook(server: Any, session: Any, envelope: Any, *args: Any) -> str:
                self.commands[command] += 1
                return answer

            return hook

        relay.handle_NOOP = counting("NOOP", "250 OK")
        relay.handle_QUIT = counting("QUIT", "221 Bye")
        if latency:
            slow_down(relay, latency)

    def first_after(self, since: float, to: str, reference: str | None) -> float | None:
        with self.lock:
            for at, rcpts, subject in self.seen:
                if at >= since and to in rcpts and (reference is None or reference in subject):
                    return at
        return None


def slow_down(relay: Any, latency: float) -> None:
    """Answer MAIL, RCPT, DATA and NOOP `latency` seconds late."""
    import asyncio

    async def mail(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        envelope.mail_from = address  # what aiosmtpd does when there is no hook
        envelope.mail_options.extend(options)
        return "250 OK"

    for command in ("MAIL", "RCPT", "DATA", "NOOP"):
        original = getattr(relay, f"handle_{command}", None) or mail

        def later(original: Any) -> Any:
            async def hook(*args: Any) -> str:
                await asyncio.sleep(latency)
                return await original(*args)

            return hook

        setattr(relay, f"handle_{command}", later(original))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def planned(replies: int, submissions: int) -> list[tuple[str, bytes, str, str | None]]:
    """(kind, raw, who should hear back, case reference) for every message of the run."""
    from bench.inbound import prepare
    from models.services.email.matching import SUBJECT_TAG
    from tests.e2e.forms import preapproval
    from tests.inbound_support import form_json, new_message, queued_mail

    batch = prepare(replies)
    by_reference = {
        found.group(1): m.to[0]
        for m in queued_mail()
        if m.template == "acknowledgment" and (found := SUBJECT_TAG.search(m.subject))
    }
    plan: list[tuple[str, bytes, str, str | None]] = []
    for kind, raw in zip(batch.kinds, batch.messages, strict=True):
        subject = str(BytesHeaderParser().parsebytes(raw)["Subject"])
        found = SUBJECT_TAG.search(subject)
        reference = found.group(1) if found else None
        plan.append((kind, raw, by_reference.get(reference or "", ""), reference))
    for n in range(submissions):
        educator = f"emailed{n}@school{n % 41}.example"
        form = form_json(preapproval(educator, activity__title=f"Summer Institute {n}"))
        raw = new_message(educator, "My request is attached.", files=[form]).as_bytes()
        plan.append(("submission", raw, educator, None))
    return plan


def setup_mail_sent() -> None:
    """The emails the setup queued (acknowledgments, tasks, decisions) went out long before
    the burst: they are not part of the load."""
    from sqlalchemy import update

    from models import clock
    from models.enums import OutboxStatus
    from models.messages import OutboxMessage
    from models.uow import UnitOfWork

    with UnitOfWork() as work:
        work.session.execute(
            update(OutboxMessage).values(status=OutboxStatus.SENT, sent_at=clock.now())
        )
        work.commit()


def backlog_empty(expected_inbound: int) -> bool:
    from sqlalchemy import func, select

    from models.enums import OutboxStatus
    from models.messages import InboundMessage, OutboxMessage
    from models.uow import UnitOfWork

    with UnitOfWork() as work:
        done = work.session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.filed_to.is_not(None))
        )
        pending = work.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    return done == expected_inbound and pending == 0


def cpu_busy() -> float:
    """Seconds every core of the machine spent busy since boot (Linux /proc/stat)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def own_cpu() -> float:
    """CPU seconds of this process, every thread (the SMTP server, the IMAP client)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def smtp_front_alone(port: int, count: int) -> float:
    """Seconds the test SMTP server (aiosmtpd delivering into Dovecot over LMTP) takes to
    accept `count` emails of the size we send, from one client: a floor under how fast any
    watcher can empty the outbox on this machine."""
    import smtplib
    from email.message import EmailMessage

    emails = []
    for n in range(count):
        email = EmailMessage()
        email["From"], email["To"] = SYSTEM, f"baseline{n}@school{n % 37}.example"
        email["Subject"], email["Message-ID"] = f"Baseline {n}", f"<baseline{n}@opi.example>"
        email.set_content("Your request was approved; the details follow.\n" * 40)
        emails.append(email)
    with smtplib.SMTP("127.0.0.1", port) as client:
        began = time.perf_counter()
        for email in emails:
            client.send_message(email)
        return time.perf_counter() - began


def run(args: argparse.Namespace, url: str, scratch: Path) -> None:
    from models.migrate import upgrade
    from models.settings import reset_settings
    from tests.services.mailserver import MailServer

    with MailServer() as server:
        os.environ.update(
            PDU_DATABASE_URL=url,
            PDU_DATA_DIR=str(scratch / "var"),
            PDU_NOW=NOW,
            PDU_MAIL_ADDRESS=SYSTEM,
            PDU_SECRET_KEY=secrets.token_urlsafe(32),  # a throwaway key for a throwaway office
            PDU_IMAP_HOST="127.0.0.1",
            PDU_IMAP_PORT=str(server.imap_port),
            PDU_IMAP_USER=SYSTEM,
            PDU_IMAP_PASSWORD=server.password,
            PDU_SMTP_HOST="127.0.0.1",
            PDU_SMTP_PORT=str(server.smtp_port),
        )
        reset_settings()
        upgrade(url)
        began = time.perf_counter()
        plan = planned(args.replies + args.steady, args.submissions)
        setup_mail_sent()
        steady = [p for p in plan if p[0] in ("approve", "deny")][: args.steady]
        burst = [p for p in plan if p not in steady]
        print(f"set up {len(plan)} messages in {time.perf_counter() - began:.0f} s")
        arrivals = Arrivals(server.smtp.relay, args.smtp_latency / 1000)
        log = scratch / "watch.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        pdu = str(Path(sys.executable).parent / "pdu")
        earlier = resource.getrusage(resource.RUSAGE_CHILDREN)
        with log.open("ab") as out:
            watcher = subprocess.Popen([pdu, "mail", "watch"], stdout=out, stderr=out, env=env)
        try:
            time.sleep(3)  # the first (empty) poll is done: the watcher waits in IDLE
            landed: list[float] = []
            busy_before, own_before = cpu_busy(), own_cpu()
            watcher_before = process_cpu(watcher.pid)
            start = time.monotonic()
            with server.client(SYSTEM) as imap:
                for _kind, raw, _to, _ref in burst:
                    imap.append("INBOX", raw)
                    landed.append(time.monotonic())
            appended = time.monotonic() - start
            while not backlog_empty(len(burst)):
                if watcher.poll() is not None:
                    raise SystemExit(f"the watcher stopped:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            drained = time.monotonic() - start
            busy = cpu_busy() - busy_before
            watcher_burst = process_cpu(watcher.pid) - watcher_before
            own_burst = own_cpu() - own_before
            burst_delays = [
                found - at
                for at, (kind, _raw, to, ref) in zip(landed, burst, strict=True)
                if (kind in APPLICANT_KINDS or kind == "submission")
                and (found := arrivals.first_after(at, to, ref)) is not None
            ]
            quiet: list[float] = []
            with server.client(SYSTEM) as imap:
                for _kind, raw, to, ref in steady:
                    at = time.monotonic()
                    imap.append("INBOX", raw)
                    while (found := arrivals.first_after(at, to, ref)) is None:
                        if time.monotonic() - at > 120:
                            raise SystemExit(f"no answer within 120 s:\n{log.read_text()[-3000:]}")
                        time.sleep(0.01)
                    quiet.append(found - at)
                    time.sleep(0.5)
        finally:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(30)
        ended = resource.getrusage(resource.RUSAGE_CHILDREN)  # + the watcher, waited for
        user, system = ended.ru_utime - earlier.ru_utime, ended.ru_stime - earlier.ru_stime
        sent_in_all = len(arrivals.seen)
        commands = dict(arrivals.commands)
        front = smtp_front_alone(server.smtp_port, args.front)
    count = len(burst)
    print(
        f"{args.database}: burst of {count} messages ({args.replies} replies, "
        f"{args.submissions} submissions), {sent_in_all} emails sent in all"
    )
    print(
        f"  the SMTP server alone (baseline, {args.front} emails on one connection): "
        f"{args.front / front:.1f} msg/s, so {sent_in_all / (args.front / front):.1f} s "
        f"for this run's {sent_in_all}"
    )
    print(
        f"  the watcher's SMTP sessions: {commands['QUIT']} ended with QUIT, "
        f"{commands['NOOP']} NOOP checks, for {sent_in_all} emails"
    )
    print(
        f"  Dovecot took the burst in (APPEND, baseline): {appended:7.1f} s  "
        f"{count / appended:7.1f} msg/s"
    )
    print(
        f"  the watcher's own CPU (burst and single replies): {user + system:.1f} s "
        f"(user {user:.1f} s, system {system:.1f} s; one process)"
    )
    print(
        f"  the whole machine's CPU until then: {busy:.1f} core-seconds of "
        f"{os.cpu_count()} x {drained:.1f} s (every process: watcher, Dovecot, SMTP server)"
    )
    rest = busy - watcher_burst - own_burst
    cores = os.cpu_count() or 1
    print(
        f"  of it: the watcher {watcher_burst:.1f} s, this process (the SMTP server, the IMAP "
        f"client appending) {own_burst:.1f} s, the rest (Dovecot's IMAP and LMTP, the "
        f"database, anything else running) {rest:.1f} s; without the watcher, the burst "
        f"alone keeps {cores} cores busy {(own_burst + rest) / cores:.1f} s"
    )
    print(
        f"  backlog empty (inbox filed, outbox sent):     {drained:7.1f} s  "
        f"{count / drained:7.1f} msg/s  ({drained / appended:.1f}x the APPEND time)"
    )
    print(
        f"  reply landed -> applicant's email sent, in the burst ({len(burst_delays)}): "
        f"p50 {percentile(burst_delays, 0.5):.1f} s, p95 {percentile(burst_delays, 0.95):.1f} s "
        f"(target p95 < 10 s)"
    )
    print(
        f"  the same outside a burst ({len(quiet)} single replies, IDLE): "
        f"p50 {statistics.median(quiet):.2f} s, p95 {percentile(quiet, 0.95):.2f} s "
        f"(target p95 < 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=int, default=1000, help="in the burst (default 1000)")
    parser.add_argument("--submissions", type=int, default=200, help="in the burst (default 200)")
    parser.add_argument("--steady", type=int, default=20, help="single replies after it")
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--smtp-latency", type=float, default=0.0, help="ms before each SMTP answer (a relay)"
    )
    parser.add_argument("--front", type=int, default=300, help="emails for the SMTP baseline")
    args = parser.parse_args()
    with bench_databases("pdu-bench-load-") as databases:
        run(args, databases.url(args.database), databases.work)


if __name__ == "__main__":
    main()
