"""Benchmark: the provider portal, next to its baselines in the same run (SQLite).

1. Issuing: one N-line roster (default 1,000) uploaded through the portal (real HTTP to a
   `pdu web` process, its background runner and the worker pool) until every certificate
   is issued and its email queued, next to `pdu provider issue` with the same roster on
   another event of the same database. Certificates per second each, and the ratio (the
   portal should reach at least 0.9x).
2. The events page of a provider with 5,000 events and 100,000 certificates: R requests
   (default 200) to /provider/events (pages of the past list, in turn), p50/p95/max, next
   to R requests to the static home page `/` of the same server.

    .venv/bin/python bench/portal.py                       # both, full size
    .venv/bin/python bench/portal.py --count 100 --events 500 --certificates 10000  # quick

Everything runs under a fresh temporary data directory (PDU_DATA_DIR), PDU_NOW fixed.
The load average is printed at the start and end of each part (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-11-23T16:00:00+00:00"
BIN = Path(sys.executable).parent


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def roster(count: int) -> bytes:
    lines = ["first_name,last_name,email,license_number,hours"]
    names = [("Maria", "Running Crane"), ("Nguyễn Thị", "Minh Khai"), ("Александра", "Кузнецова")]
    for i in range(count):
        first, last = names[i % len(names)]
        hours = ("12", "6.5")[i % 2]
        lines.append(f"{first},{last},educator{i}@school.example,{100000 + i},{hours}")
    return ("\n".join(lines) + "\n").encode()


def setup(events: int, certificates: int) -> dict[str, int | str]:
    """Two providers: A (two events to issue to), B (the big history); a manager each."""
    from sqlalchemy import insert

    from models.accounts import ProviderAccount
    from models.certificates import Certificate
    from models.enums import CertificateStatus, Channel
    from models.events import Attendee, EventFormat, ProviderEvent
    from models.migrate import upgrade
    from models.people import Person
    from models.services.context import ServiceContext
    from models.services.directory import add_provider
    from models.services.provider_events import add_event
    from models.services.web_sessions import begin_provider_session
    from models.settings import get_settings
    from models.uow import UnitOfWork

    upgrade(get_settings().sqlalchemy_url)
    now = datetime.fromisoformat(NOW)
    out: dict[str, int | str] = {}
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, now)
        s = work.session
        for key, name in (("a", "Big Sky Learning"), ("b", "Large History Institute")):
            provider = add_provider(s, name, f"info@{key}.example", now)
            person = Person(email=f"manager@{key}.example", first_name="Pat", last_name=key.upper(),
                            created_at=now)  # fmt: skip
            s.add(person)
            s.flush()
            account = ProviderAccount(username=f"PBench{key}", provider_id=provider.id,
                                      person_id=person.id, is_manager=True, created_at=now,
                                      password_hash="benchmark")  # fmt: skip
            s.add(account)
            s.flush()
            out[f"{key}_provider"] = provider.id
            out[f"{key}_token"] = begin_provider_session(ctx, account)
        for mode in ("cli", "portal"):
            out[f"{mode}_event"] = add_event(
                ctx, "MTP-00001", title=f"Literacy Summit ({mode})", start=date(2026, 11, 19),
                end=date(2026, 11, 20), hours="12", locations=["Helena, MT"],
            ).id  # fmt: skip
        b = int(out["b_provider"])
        per_event = max(1, certificates // events)
        rows = [
            {
                "provider_id": b, "title": f"Workshop {i}", "description": None,
                "start_date": date(2021, 1, 1) + timedelta(days=i % 1800),
                "end_date": date(2021, 1, 1) + timedelta(days=i % 1800),
                "hours": 6, "format": EventFormat.IN_PERSON, "locations": ["Helena, MT"],
                "schedule": None, "channel": Channel.CLI, "reported_at": now,
                "reported_late": False, "certificates_issued": per_event,
            }
            for i in range(events)
        ]  # fmt: skip
        s.execute(insert(ProviderEvent), rows)
        ids = list(s.scalars(ProviderEvent.__table__.select().with_only_columns(
            ProviderEvent.id).where(ProviderEvent.provider_id == b)))  # fmt: skip
        numbers = 0
        for start in range(0, certificates, 10_000):
            chunk = range(start, min(certificates, start + 10_000))
            certs = [
                {
                    "number": f"PDU-2021-{n:06d}", "verification_code": f"BENCH-{n:08d}",
                    "event_id": ids[n % len(ids)], "holder_name": "Pat Educator",
                    "license_number": str(200000 + n), "activity_title": "Workshop",
                    "provider_name": "Large History Institute", "start_date": date(2021, 1, 1),
                    "end_date": date(2021, 1, 1), "hours": 6, "issued_at": now,
                    "status": CertificateStatus.VALID, "pdf_sha256": None,
                }
                for n in chunk
            ]  # fmt: skip
            s.execute(insert(Certificate), certs)
            numbers += len(certs)
        first_cert = s.scalar(Certificate.__table__.select().with_only_columns(
            Certificate.id).order_by(Certificate.id).limit(1))  # fmt: skip
        attendees = [
            {
                "event_id": ids[n % len(ids)], "line": 2 + n // len(ids), "first_name": "Pat",
                "last_name": "Educator", "email": f"e{n}@school.example",
                "license_number": str(200000 + n), "hours": 6, "person_id": None,
                "certificate_number": f"PDU-2021-{n:06d}", "verification_code": None,
                "reserved_at": now, "claimed_at": None, "certificate_id": first_cert + n,
                "failure": None, "created_at": now, "batch_id": None,
            }
            for n in range(certificates)
        ]  # fmt: skip
        for start in range(0, len(attendees), 10_000):
            s.execute(insert(Attendee), attendees[start : start + 10_000])
        work.commit()
    return out


def start_web(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    web = subprocess.Popen(
        [str(BIN / "pdu"), "web", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return web
        except httpx.HTTPError:
            time.sleep(0.2)
    web.kill()
    raise SystemExit("pdu web did not start")


def queued_emails(event_id: int) -> int:
    from sqlalchemy import func, select

    from models.events import Attendee
    from models.uow import UnitOfWork

    with UnitOfWork() as work:
        return work.session.scalar(
            select(func.count()).select_from(Attendee).where(
                Attendee.event_id == event_id, Attendee.certificate_id.is_not(None))
        ) or 0  # fmt: skip


def issue_by_cli(env: dict[str, str], event_id: int, path: Path, count: int) -> float:
    started = time.monotonic()
    subprocess.run([str(BIN / "pdu"), "provider", "issue", str(event_id), str(path)], env=env,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    elapsed = time.monotonic() - started
    assert queued_emails(event_id) == count
    return elapsed


def issue_by_portal(base: str, token: str, event_id: int, content: bytes, count: int) -> float:
    import httpx

    with httpx.Client(base_url=base, cookies={"pdu_session": token}, timeout=60) as http:
        page = http.get(f"/provider/events/{event_id}")
        found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert found, page.text[:300]
        started = time.monotonic()
        answer = http.post(
            f"/provider/events/{event_id}/roster", data={"csrf_token": found[1]},
            files={"roster": ("roster.csv", content, "text/csv")},
        )  # fmt: skip
        assert answer.status_code == 303, answer.text[:500]
        progress = answer.headers["location"]
        while True:
            text = http.get(progress).text  # what the browser's refresh does (every 2 s)
            if 'id="batch-issued"' in text:
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - started
    assert queued_emails(event_id) == count
    return elapsed


def timed(http: object, path: str, requests: int) -> list[float]:
    times = []
    for i in range(requests):
        target = path.format(page=1 + i % 10)
        started = time.perf_counter()
        answer = http.get(target)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (target, answer.status_code)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="roster lines (1,000)")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pages-only", action="store_true", help="skip part 1 (issuing)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pdu-bench-portal-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PDU_")}
        env |= {"PDU_DATA_DIR": tmp, "PDU_NOW": NOW, "PDU_PUBLIC_URL": f"http://127.0.0.1:{args.port}",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                # a throwaway key: pdu web refuses to serve on the built-in one
                "PDU_SECRET_KEY": secrets.token_urlsafe(32)}  # fmt: skip
        os.environ.update(env)
        started = time.monotonic()
        ids = setup(args.events, args.certificates)
        print(f"setup: {args.events} events, {args.certificates} certificates for provider B "
              f"in {time.monotonic() - started:.1f} s", flush=True)  # fmt: skip
        content = roster(args.count)
        path = Path(tmp) / "roster.csv"
        path.write_bytes(content)
        web = start_web(env, args.port)
        base = f"http://127.0.0.1:{args.port}"
        try:
            if not args.pages_only:
                print(f"\n1. Issuing {args.count} certificates (load {load()})", flush=True)
                cli = issue_by_cli(env, int(ids["cli_event"]), path, args.count)
                print(f"  pdu provider issue: {cli:6.1f} s  {args.count / cli:5.1f} /s  (load {load()})", flush=True)  # noqa: E501
                portal = issue_by_portal(base, str(ids["a_token"]), int(ids["portal_event"]), content, args.count)  # noqa: E501
                print(f"  portal upload:      {portal:6.1f} s  {args.count / portal:5.1f} /s  (load {load()})", flush=True)  # noqa: E501
                print(f"  portal / CLI rate: {cli / portal:.2f}x")

            import httpx

            print(f"\n2. Events page, {args.requests} requests each (load {load()})", flush=True)
            with httpx.Client(base_url=base, cookies={"pdu_session": str(ids["b_token"])},
                              timeout=30) as http:  # fmt: skip
                timed(http, "/provider/events?list=past&page={page}", 10)  # warm up
                events = timed(http, "/provider/events?list=past&page={page}", args.requests)
                home = timed(http, "/", args.requests)
            print(f"  /provider/events: {summary(events)}")
            print(f"  / (static home):  {summary(home)}   (load {load()})")
        finally:
            web.terminate()
            web.wait(30)


if __name__ == "__main__":
    main()
