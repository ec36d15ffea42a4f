"""Benchmark: inbound messages per second, raw bytes to committed outcome, on SQLite and
PostgreSQL, next to bare `email.message_from_bytes` of the same messages (the upper bound).

    python bench/inbound.py                          # 1,000 replies, both databases
    python bench/inbound.py --messages 100           # a quick run
    python bench/inbound.py --databases sqlite
    BENCH_PROFILE=30 python bench/inbound.py --messages 300   # + the profile and each step's share

The replies are what the office receives in a day: reviewers' APPROVE / DENY / INFO with
the task quoted below (half of them with an HTML alternative, as Gmail and Outlook send),
applicants' answers to questions, proof of completion with a PDF attached, out-of-office
auto-replies and a few "thanks" that are not commands. The cases they answer are set up
first (not timed): intake through `flows.jobs.intake`, questions and approvals through the
gateway itself. The messages then go through `models.services.email.receive.receive_many`
exactly as the poller hands them over, 25 at a time: stored raw and committed, then each
parsed, matched and acted on in a savepoint, committed.
PostgreSQL is a throwaway cluster (tests/services/postgres.py).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flows  # noqa: E402,F401  (our `mailbox` ahead of the standard library's)
from bench.databases import bench_databases, kinds  # noqa: E402  (after the path)

NOW = "2026-11-20T16:00:00Z"
REVIEWERS = [f"reviewer{i}@opi.example" for i in range(1, 6)]
# Shares of the day's mail; each kind answers a case in the state it needs.
MIX = {
    "approve": 0.22,
    "deny": 0.08,
    "info": 0.12,
    "answer": 0.20,
    "proof": 0.10,
    "auto_reply": 0.20,
    "thanks": 0.08,
}
PROOF = b"%PDF-1.4\n" + b"% certificate of attendance, signed\n" * 900 + b"%%EOF\n"


@dataclass(frozen=True)
class Batch:
    messages: list[bytes]
    kinds: list[str]


def _counts(total: int) -> dict[str, int]:
    counts = {kind: int(total * share) for kind, share in MIX.items()}
    counts["approve"] += total - sum(counts.values())
    return counts


def _html(text: str, quoted_html: str | None) -> str:
    paragraphs = "".join(f"<div>{line or '<br>'}</div>" for line in text.splitlines())
    quote = f'<blockquote class="gmail_quote">{quoted_html}</blockquote>' if quoted_html else ""
    return f'<div dir="ltr">{paragraphs}</div><div class="gmail_quote">{quote}</div>'


def _reply(
    mail: Any, sender: str, text: str, *, html: bool, files: list[Any] | None = None, **kw: Any
) -> bytes:
    from tests.inbound_support import reply

    message = reply(mail, sender, text, files=files or [], **kw)
    if html and not files:
        message.add_alternative(_html(text, mail.html), subtype="html")
    return message.as_bytes()


def prepare(total: int) -> Batch:
    """Cases in the states the day's mail needs, and that mail as raw bytes (in order)."""
    from flows import jobs
    from models import clock
    from models.services.email.receive import receive
    from models.services.staff import add_staff
    from models.uow import UnitOfWork
    from tests.e2e.forms import preapproval
    from tests.inbound_support import queued_mail

    counts = _counts(total)
    with UnitOfWork() as work:
        for index, address in enumerate(REVIEWERS, 1):
            add_staff(work.session, address, f"Reviewer {index}", "reviewer", clock.now())
        work.commit()

    fresh = counts["approve"] + counts["deny"] + counts["info"] + counts["thanks"]
    asked, approved = counts["answer"], counts["proof"]
    references: list[str] = []
    for i in range(fresh + asked + approved):
        form = preapproval(
            f"educator{i}@school{i % 37}.example",
            educator__first_name=f"Educator{i}",
            activity__title=f"Reading Institute, session {i}",
        )
        result = jobs.intake("preapproval", form)
        assert result.ok and result.reference, result.problems
        references.append(result.reference)

    tasks = {m.case_id: m for m in queued_mail() if m.template == "review_task"}
    case_ids = [m.case_id for m in sorted(tasks.values(), key=lambda m: m.id)]

    def setup(case_id: int, text: str) -> None:  # not timed: the state the mail answers
        task = tasks[case_id]
        outcome = receive(UnitOfWork, _reply(task, task.to[0], text, html=False), now=clock.now())
        assert outcome.outcome.value == "applied", outcome

    fresh_ids = case_ids[:fresh]
    asked_ids = case_ids[fresh : fresh + asked]
    approved_ids = case_ids[fresh + asked :]
    for case_id in asked_ids:
        setup(case_id, "INFO Which of the three days are in person?")
    for case_id in approved_ids:
        setup(case_id, "APPROVE")
    mails = queued_mail()
    questions = {m.case_id: m for m in mails if m.template == "info_request"}
    approvals = {m.case_id: m for m in mails if m.template == "decision_approved"}

    planned: list[tuple[str, bytes]] = []
    pool = iter(fresh_ids)
    for kind, text in (
        ("approve", "APPROVE\n\nThe agenda is solid; all hours count."),
        ("deny", "DENY the activity is a product demonstration, not training"),
        ("info", "INFO Could you send the agenda for the three days?"),
        ("thanks", "Thanks, I will look at this on Monday."),
    ):
        for n in range(counts[kind]):
            task = tasks[next(pool)]
            planned.append((kind, _reply(task, task.to[0], text, html=n % 2 == 0)))
    for n, case_id in enumerate(asked_ids):
        question = questions[case_id]
        answer = "All three days are in person in Billings.\n\nBest regards,\nEducator"
        planned.append(("answer", _reply(question, question.to[0], answer, html=n % 2 == 0)))
    for case_id in approved_ids:
        approval = approvals[case_id]
        files = [("attendance.pdf", "application/pdf", PROOF)]
        text = "Here is my certificate of attendance."
        planned.append(("proof", _reply(approval, approval.to[0], text, html=False, files=files)))
    task_list = list(tasks.values())
    for n in range(counts["auto_reply"]):
        task = task_list[n % len(task_list)]
        text = "I am out of the office until Monday, November 30, with limited access to email."
        headers = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
        planned.append(("auto_reply", _reply(task, task.to[0], text, html=False, headers=headers)))
    random.Random(20261120).shuffle(planned)  # interleaved, as they arrive in a mailbox
    return Batch([raw for _, raw in planned], [kind for kind, _ in planned])


def clocked(run: Callable[..., Any], *args: Any) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    began, cpu = time.perf_counter(), time.process_time()
    run(*args)
    return time.perf_counter() - began, time.process_time() - cpu


def measure(name: str, url: str, data_dir: Path, total: int) -> dict[str, Any]:
    from models import clock
    from models.db import dispose_engines
    from models.migrate import upgrade
    from models.services.email.poll import FILE_BATCH
    from models.services.email.receive import Incoming, receive_many
    from models.settings import reset_settings
    from models.uow import UnitOfWork

    os.environ.update(
        PDU_DATABASE_URL=url,
        PDU_DATA_DIR=str(data_dir),
        PDU_NOW=NOW,
        PDU_MAIL_ADDRESS="pdu@opi.example",
        PDU_SECRET_KEY=secrets.token_urlsafe(32),  # a throwaway key for a throwaway office
    )
    reset_settings()
    upgrade(url)
    began = time.perf_counter()
    batch = prepare(total)
    setup_seconds = time.perf_counter() - began

    outcomes: Counter[str] = Counter()
    spent = {"gateway": [0.0, 0.0], "bare": [0.0, 0.0]}  # wall, CPU seconds

    def parse_bare(raws: list[bytes]) -> None:
        for raw in raws:
            message_from_bytes(raw)

    def through_the_gateway(chunk: list[Any], now: Any) -> None:
        for result in receive_many(UnitOfWork, chunk, now=now):
            outcomes[f"{result.outcome.value} {result.reason}"] += 1

    def gateway() -> None:
        """The poller's batches of 25; next to each, bare parsing of the same 25 (best of
        three), so both are timed in the same seconds of a machine whose speed drifts."""
        now = clock.now()
        for start in range(0, len(batch.messages), FILE_BATCH):
            raws = batch.messages[start : start + FILE_BATCH]
            bare = min(clocked(parse_bare, raws) for _ in range(3))
            acted = clocked(through_the_gateway, [Incoming.of(raw) for raw in raws], now)
            for name, (wall, cpu) in (("bare", bare), ("gateway", acted)):
                spent[name][0] += wall
                spent[name][1] += cpu

    steps: dict[str, float] = {}
    if os.environ.get("BENCH_PROFILE"):  # where the gateway's time goes, to stderr
        import cProfile
        import pstats

        with cProfile.Profile() as profile:
            gateway()
        stats = pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(int(os.environ["BENCH_PROFILE"]))
        steps = step_shares(stats)
    else:
        gateway()
    dispose_engines()
    count = len(batch.messages)
    assert not any(key.startswith("error") for key in outcomes), outcomes
    return {
        "database": name,
        "messages": count,
        "megabytes": sum(map(len, batch.messages)) / 2**20,
        "setup_seconds": setup_seconds,
        "gateway_per_second": count / spent["gateway"][0],
        "parse_per_second": count / spent["bare"][0],
        "cpu_ratio": spent["gateway"][1] / spent["bare"][1],
        "mix": dict(Counter(batch.kinds)),
        "steps": steps,
        "outcomes": dict(outcomes.most_common()),
    }


# The steps of one message (module suffix, function), as the profile names them; nested
# steps are inside their parents' share (parsing and trimming inside deciding).
STEPS = {
    "storing the raw messages (first commit)": ("email/receive.py", "store_many"),
    "parsing (MIME, limits, text)": ("mailbox/parse.py", "parse_message"),
    "trimming the quoted reply": ("mailbox/quoting.py", "trim_reply"),
    "reading the batch's tokens and cases ahead": ("email/batch_reads.py", "read_ahead"),
    "finding the reply token": ("email/matching.py", "find_token"),
    "acting (review use cases, emails queued)": ("email/commands.py", "act"),
    "deciding (matching and acting, once parsed)": ("email/decide.py", "decide"),
    "commits and savepoint releases (their flushes)": ("sqlalchemy/orm/session.py", "commit"),
}


def step_shares(stats: Any) -> dict[str, float]:
    """Each step's cumulative share of the gateway's profiled time."""
    total = sum(  # the gateway proper, without the bare parsing next to it
        ct
        for (path, _, name), (_, _, _, ct, _) in stats.stats.items()
        if name == "receive_many" and path.endswith("email/receive.py")
    )
    shares = {}
    for label, (suffix, function) in STEPS.items():
        found = [
            ct
            for (path, _, name), (_, _, _, ct, _) in stats.stats.items()
            if name == function and path.endswith(suffix)
        ]
        shares[label] = max(found, default=0.0) / total
    return shares


def report(row: dict[str, Any]) -> None:
    ratio = row["parse_per_second"] / row["gateway_per_second"]
    print(
        f"{row['database']:<10} {row['messages']} messages ({row['megabytes']:.1f} MB), "
        f"set up in {row['setup_seconds']:.1f} s"
    )
    print(f"  gateway (raw bytes to committed outcome): {row['gateway_per_second']:8.1f} msg/s")
    print(f"  email.message_from_bytes (upper bound):   {row['parse_per_second']:8.1f} msg/s")
    print(f"  ratio: the gateway runs at 1/{ratio:.0f} of bare parsing ({100 / ratio:.1f} %)")
    print(f"  ratio in CPU time: 1/{row['cpu_ratio']:.0f}")
    print(f"  mix: {row['mix']}")
    print(f"  outcomes: {row['outcomes']}")
    for label, share in row["steps"].items():
        print(f"  step: {label:<45} {100 * share:5.1f} % of the gateway's time (profiled)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="replies (default 1000)")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql"
    )
    args = parser.parse_args()
    if args.messages < len(MIX):
        parser.error(f"--messages must be at least {len(MIX)} (one of each kind)")
    with bench_databases("pdu-bench-inbound-") as databases:
        for name in kinds(parser, args.databases):
            data_dir = databases.work / name / "var"  # each database its own office
            report(measure(name, databases.url(name), data_dir, args.messages))


if __name__ == "__main__":
    main()
