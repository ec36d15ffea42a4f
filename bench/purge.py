"""Benchmark: purging N closed cases (messages, outbox, token, attachment and certificate
files each) on SQLite and PostgreSQL, in batches. Prints the time, its ratio to writing the
same rows and files in bulk (the baseline, measured in the same run), and the memory of the
purging process as it goes, which stays flat because each batch is its own transaction.

    .venv/bin/python bench/purge.py                 # 100,000 cases, both databases
    .venv/bin/python bench/purge.py --cases 2000    # a quick run
    .venv/bin/python bench/purge.py --databases sqlite --postgres-url URL

The purge runs in a child process of its own, so its memory figures are the purge's alone
(not the data generation's). PostgreSQL: a throwaway cluster (tests/services/postgres.py)
unless --postgres-url names an empty database.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import bench_databases, kinds  # noqa: E402  (after the path)

CLOSED = datetime(2021, 11, 20, 16, tzinfo=UTC)
RETAIN = datetime(2026, 11, 20, 16, tzinfo=UTC)
NOW = "2026-11-21T16:00:00Z"
CHUNK = 2000  # cases per generation transaction
RAW = (
    "From: Educator {i} <educator{i}@school.example>\r\nTo: pdu@opi.example\r\n"
    "Message-ID: <{i}.{n}@school.example>\r\nSubject: Re: [PA-2021-{i:06d}]\r\n\r\n"
    + "Here is my proof of attendance. "
    * 12
)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def generate(url: str, data_dir: Path, cases: int) -> float:
    """Closed cases as intake and the gateway leave them, written in bulk (Core inserts)."""
    from sqlalchemy import insert

    from models.cases import Case, TimelineEntry
    from models.certificates import Certificate
    from models.data_dir import attachment_file
    from models.db import make_engine
    from models.messages import Attachment, InboundMessage, OutboxMessage, ReplyToken
    from models.people import Person

    began = time.perf_counter()
    engine = make_engine(url)
    (data_dir / "certificates").mkdir(parents=True, exist_ok=True)
    for start in range(0, cases, CHUNK):
        rows: dict[Any, list[dict[str, Any]]] = {
            t: []
            for t in (
                Person,
                Case,
                TimelineEntry,
                InboundMessage,
                OutboxMessage,
                ReplyToken,
                Attachment,
                Certificate,
            )
        }
        for i in range(start + 1, min(start + CHUNK, cases) + 1):
            email = f"educator{i}@school.example"
            rows[Person].append(
                {
                    "id": i,
                    "email": email,
                    "first_name": "Educator",
                    "last_name": str(i),
                    "license_number": f"MT-{i}",
                    "created_at": CLOSED,
                }
            )
            rows[Case].append(
                {
                    "id": i,
                    "reference": f"PA-2021-{i:06d}",
                    "kind": "preapproval",
                    "status": "completed",
                    "applicant_id": i,
                    "submission_key": f"bench-{i}",
                    "form": {"educator": {"email": email, "first_name": "Educator"}},
                    "channel": "email",
                    "retroactive": False,
                    "hours_granted": Decimal(6),
                    "submitted_at": CLOSED,
                    "updated_at": CLOSED,
                    "closed_at": CLOSED,
                    "retain_until": RETAIN,
                }
            )
            for action in ("submitted", "approve", "accept_proof"):
                rows[TimelineEntry].append(
                    {
                        "case_id": i,
                        "at": CLOSED,
                        "action": action,
                        "actor": email,
                        "channel": "email",
                        "detail": f"by {email}",
                    }
                )
            for n in (1, 2):
                raw = RAW.format(i=i, n=n).encode()
                rows[InboundMessage].append(
                    {
                        "id": 2 * i + n,
                        "dedupe_key": f"mid:{i}.{n}",
                        "message_id": f"<{i}.{n}@x>",
                        "size": len(raw),
                        "raw": raw,
                        "from_address": email,
                        "subject": "Re",
                        "received_at": CLOSED,
                        "outcome": "reply",
                        "case_id": i,
                    }
                )
                rows[OutboxMessage].append(
                    {
                        "message_id": f"<out{i}.{n}@opi.example>",
                        "case_id": i,
                        "template": "t",
                        "to_addresses": [email],
                        "cc_addresses": [],
                        "subject": f"[PA-2021-{i:06d}]",
                        "body_text": f"Dear Educator {i}, " + "your request. " * 20,
                        "attachments": [],
                        "status": "sent",
                        "attempts": 1,
                        "next_attempt_at": CLOSED,
                        "created_at": CLOSED,
                    }
                )
            rows[ReplyToken].append(
                {
                    "token_hash": hashlib.sha256(f"t{i}".encode()).hexdigest(),
                    "case_id": i,
                    "recipient": email,
                    "allowed": "REPLY",
                    "created_at": CLOSED,
                    "expires_at": CLOSED,
                }
            )
            proof = f"proof of attendance of educator {i}".encode()
            sha = hashlib.sha256(proof).hexdigest()
            rows[Attachment].append(
                {
                    "case_id": i,
                    "inbound_id": 2 * i + 1,
                    "filename": "proof.pdf",
                    "content_type": "application/pdf",
                    "size": len(proof),
                    "sha256": sha,
                    "created_at": CLOSED,
                }
            )
            target = data_dir / attachment_file(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(proof)
            number = f"PDU-2021-{i:06d}"
            rows[Certificate].append(
                {
                    "number": number,
                    "verification_code": f"BNCH-{i:012d}",
                    "case_id": i,
                    "person_id": i,
                    "holder_name": f"Educator {i}",
                    "license_number": f"MT-{i}",
                    "activity_title": "Institute",
                    "start_date": date(2021, 6, 1),
                    "end_date": date(2021, 6, 3),
                    "hours": Decimal(6),
                    "issued_at": CLOSED,
                    "status": "valid",
                }
            )
            (data_dir / "certificates" / f"{number}.pdf").write_bytes(b"%PDF-1.7 " + proof)
        with engine.begin() as connection:
            for table, values in rows.items():
                connection.execute(insert(table), values)
    engine.dispose()
    return time.perf_counter() - began


def purge_child(batch_size: int) -> None:
    """Runs in its own process (environment set by the parent): prints one JSON line."""
    from models.services import purge
    from models.uow import UnitOfWork

    samples: list[tuple[int, float, float]] = []  # (cases done, seconds, RSS MB)
    began = last = time.perf_counter()

    def on_batch(done: int, total: int) -> None:
        nonlocal last
        now = time.perf_counter()
        samples.append((done, now - last, rss_mb()))
        last = now

    start_rss = rss_mb()
    report = purge.execute(
        UnitOfWork,
        now=datetime.fromisoformat(NOW),
        approval="BENCH",
        open_mailbox=None,
        batch_size=batch_size,
        on_batch=on_batch,
    )
    elapsed = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "counts": report.counts,
                "samples": samples,
                "start_rss": start_rss,
                "cpu": usage.ru_utime + usage.ru_stime,
                "peak_rss": peak,
            }
        )
    )


def run(name: str, url: str, args: argparse.Namespace, work: Path) -> None:
    from models.migrate import upgrade

    cases, batch_size = args.cases, args.batch_size
    data_dir = work / f"data-{name}"
    upgrade(url)
    generated = generate(url, data_dir, cases)
    env = os.environ | {
        "PDU_DATABASE_URL": url,
        "PDU_DATA_DIR": str(data_dir),
        "PDU_NOW": NOW,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--batch-size", str(batch_size)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if os.environ.get("BENCH_DEBUG"):
        print([round(s[1], 2) for s in result["samples"]])
    samples = result["samples"]
    left = sum(1 for p in data_dir.rglob("*") if p.is_file())
    tenths = [samples[len(samples) * k // 10 : len(samples) * (k + 1) // 10] for k in range(10)]
    tenths = [t for t in tenths if t]
    counts = result["counts"]
    print(f"\n{name}: {cases:,} closed cases, batches of {batch_size}")
    print(f"  generated in {generated:.0f} s")
    print(
        f"  purged {counts.get('cases', 0):,} cases, {counts.get('messages', 0):,} messages, "
        f"{counts.get('outbox', 0):,} outbox rows, {counts.get('certificates', 0):,} "
        f"certificates, {counts.get('files', 0):,} files in {result['elapsed']:.1f} s "
        f"({counts.get('cases', 0) / result['elapsed']:,.0f} cases/s; the purging process "
        f"used {result.get('cpu', 0):.0f} s of CPU); files left: {left}"
    )
    print(
        f"  purge / bulk generation of the same rows (the baseline, same run): "
        f"{result['elapsed'] / generated:.1f}x"
    )
    ms = " ".join(f"{statistics.mean(s[1] for s in t) * 1000:.0f}" for t in tenths)
    print(f"  ms per batch, by tenth of the run: {ms}")
    mb = " ".join(f"{max(s[2] for s in t):.0f}" for t in tenths)
    print(
        f"  RSS MB of the purging process: {result['start_rss']:.0f} before; by tenth: {mb}; "
        f"peak {result['peak_rss']:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database to use")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        purge_child(args.batch_size)
        return
    with bench_databases("pdu-bench-purge-", args.postgres_url) as databases:
        for name in kinds(parser, args.databases):
            run(name, databases.url(name), args, databases.work)


if __name__ == "__main__":
    main()
