"""Benchmark: the Learning Opportunities Portal with 10,000 approved opportunities, and an
educator's pages with 200 certificates, next to the static home page in the same run.

    .venv/bin/python bench/opportunities.py                    # the issue's sizes
    .venv/bin/python bench/opportunities.py --opportunities 500 --certificates 20 --requests 20

`pdu web` runs in a process of its own (uvicorn, as deployed) on a fresh SQLite database;
this process only sends requests, one at a time, interleaving the pages so the machine's
load falls on each alike. Prints p50 and p95 per page and the load average; the bound in
issue 17 is p95 under 100 ms. The data is written in bulk (Core inserts) to the tables the
pages read; the educator's session is begun by the same use case sign-in uses.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-11-23T16:00:00Z"
EDUCATOR = "maria@school.example"
LICENSE = "123456"
WORDS = [
    *("literacy", "coaching", "science", "mathematics", "history", "reading", "writing"),
    *("trauma", "informed", "classroom", "management", "assessment", "leadership"),
    *("special", "education", "indian", "computer", "music", "art", "health", "rural"),
]


def seed(url: str, opportunities: int, certificates: int) -> str:
    """Providers, opportunities and certificates in bulk; the educator's session cookie."""
    from sqlalchemy import insert, select

    from models.certificates import Certificate
    from models.db import make_engine
    from models.enums import CertificateStatus, ProviderKind
    from models.opportunities import Opportunity, last_day, listing_key, search_text
    from models.people import Person
    from models.providers import Provider
    from models.services.context import ServiceContext
    from models.services.web_sessions import begin_educator_session
    from models.uow import UnitOfWork

    now = datetime(2026, 11, 23, 16, tzinfo=UTC)
    rng = random.Random(17)
    engine = make_engine(url)
    kinds = list(ProviderKind)
    with engine.begin() as db:
        db.execute(
            insert(Provider),
            [
                {
                    "number": f"MTP-{i:05d}", "name": f"Provider {i}",
                    "normalized_name": f"provider {i}", "kind": kinds[i % len(kinds)],
                    "contact_email": f"pd{i}@provider.example", "approved_at": now,
                    "created_at": now,
                }
                for i in range(1, 101)
            ],
        )  # fmt: skip
        rows = []
        for i in range(opportunities):
            title = f"{' '.join(rng.sample(WORDS, 3)).title()} Institute {i}"
            dated = i % 10 < 7
            start = date(2026, 11, 24) + timedelta(days=rng.randrange(365)) if dated else None
            end = start + timedelta(days=rng.randrange(3)) if start else None
            provider_id = 1 + i % 100
            description = " ".join(rng.choices(WORDS, k=40)).capitalize() + "."
            rows.append(
                {
                    "key": listing_key(provider_id, title), "provider_id": provider_id,
                    "title": title, "description": description, "format": "in_person"
                    if dated else "self_paced", "start_date": start, "end_date": end,
                    "last_day": last_day(start, end), "location": "Billings, MT" if dated
                    else None, "hours": Decimal(6), "contact_name": "Pat Lee",
                    "contact_email": "pd@provider.example", "sequence": 0, "listed_at": now,
                    "updated_at": now, "search": search_text(title, description,
                                                             f"Provider {provider_id}"),
                }
            )  # fmt: skip
        for chunk in range(0, len(rows), 2000):
            db.execute(insert(Opportunity), rows[chunk : chunk + 2000])
        db.execute(
            insert(Person).values(
                email=EDUCATOR, first_name="Maria", last_name="Running Crane",
                license_number=LICENSE, created_at=now,
            )
        )  # fmt: skip
        person_id = db.scalar(select(Person.id).where(Person.email == EDUCATOR))
        db.execute(
            insert(Certificate),
            [
                {
                    "number": f"PDU-2026-{i:06d}", "verification_code": f"BNCH-{i:04d}-CODE",
                    "person_id": person_id, "holder_name": "Maria Running Crane",
                    "license_number": LICENSE, "activity_title": f"Workshop {i}",
                    "provider_name": "Provider 1",
                    "start_date": date(2022, 9, 1) + timedelta(days=7 * i),
                    "end_date": date(2022, 9, 1) + timedelta(days=7 * i),
                    "hours": Decimal(3), "issued_at": now, "status": CertificateStatus.VALID,
                }
                for i in range(1, certificates + 1)
            ],
        )  # fmt: skip
    engine.dispose()
    with UnitOfWork() as work:
        token = begin_educator_session(ServiceContext.of(work, now), EDUCATOR)
        work.commit()
    return token


def wait_until_up(base: str) -> None:
    import httpx

    for _ in range(300):
        try:
            if httpx.get(base + "/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("pdu web did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200, help="per page")
    args = parser.parse_args()

    import httpx

    from devmail import free_port
    from models.migrate import upgrade
    from models.settings import reset_settings

    work_dir = Path(tempfile.mkdtemp(prefix="bench-opportunities-"))
    url = f"sqlite:///{work_dir / 'pdu.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDU_")}
    env |= {"PDU_DATA_DIR": str(work_dir), "PDU_DATABASE_URL": url, "PDU_NOW": NOW,
            "PDU_SECRET_KEY": "bench-" + "k" * 40}  # fmt: skip
    os.environ.update(env)
    reset_settings()
    server = None
    try:
        upgrade(url)
        started = time.perf_counter()
        cookie = seed(url, args.opportunities, args.certificates)
        print(f"seeded {args.opportunities:,} opportunities and {args.certificates} "
              f"certificates in {time.perf_counter() - started:.1f} s")  # fmt: skip
        port = free_port()
        pdu = str(Path(sys.executable).parent / "pdu")
        server = subprocess.Popen([pdu, "web", "--port", str(port)], env=env, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        pages = {
            "/ (static home, baseline)": "/",
            "/opportunities": "/opportunities",
            "/opportunities?q=literacy&format=in_person": (
                "/opportunities?q=literacy&format=in_person"
            ),
            "/opportunities?page=20": "/opportunities?page=20",
            "/opportunities?view=catalog": "/opportunities?view=catalog",
            "/opportunities.ics (whole calendar)": "/opportunities.ics",
            "/me/home": "/me/home",
            "/me/certificates": "/me/certificates",
            "/me/progress": "/me/progress",
        }  # fmt: skip
        timings: dict[str, list[float]] = {name: [] for name in pages}
        with httpx.Client(base_url=base, cookies={"pdu_session": cookie}, timeout=600) as http:
            begun = time.perf_counter()
            assert http.get("/opportunities.ics").status_code == 200
            cold = time.perf_counter() - begun
            print(f"/opportunities.ics, first fetch (every event serialised): {cold:.1f} s")
            for path in pages.values():  # warm: templates compiled, connections open
                assert http.get(path).status_code == 200, path
            for _ in range(args.requests):
                for name, path in pages.items():
                    if name.startswith("/opportunities.ics") and len(timings[name]) >= 20:
                        continue  # the feed is fetched by calendars hourly: 20 samples do
                    begun = time.perf_counter()
                    answer = http.get(path)
                    timings[name].append(time.perf_counter() - begun)
                    assert answer.status_code == 200, (path, answer.status_code)
        load = os.getloadavg()
        print(f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
              f"({os.cpu_count()} cores, shared)")  # fmt: skip
        print(f"{'page':46} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}")
        for name, values in timings.items():
            values.sort()
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            print(f"{name:46} {len(values):4d} {statistics.median(values) * 1000:8.1f} "
                  f"{p95 * 1000:8.1f}")  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
