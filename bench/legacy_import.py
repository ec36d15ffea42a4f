"""Benchmark: `pdu import legacy` of 5,000 providers (an event each) and 100,000 legacy
certificates (25,000 educators, four each) on SQLite and PostgreSQL: the dry run, the
import (all in one transaction) and the second run that finds everything present, next to
a bulk insert of the same rows into an empty database in the same run (executemany on
SQLite, COPY on PostgreSQL: the baseline), with the ratio.

    .venv/bin/python bench/legacy_import.py                      # 100,000 certificates
    .venv/bin/python bench/legacy_import.py --certificates 5000 --providers 500   # quick
    .venv/bin/python bench/legacy_import.py --databases sqlite

PostgreSQL: a throwaway cluster (tests/services/postgres.py).
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import bench_databases, kinds  # noqa: E402  (after the path)

NOW = "2026-11-23T16:00:00Z"
PER_EDUCATOR = 4


def write_files(directory: Path, providers: int, certificates: int) -> None:
    """The old system's export: providers, an event each, certificates of those events."""

    def write(name: str, header: list[str], rows: Any) -> None:
        with (directory / name).open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)

    write(
        "providers.csv",
        ["number", "name", "kind", "email", "approved_on"],
        (
            [f"LP-{p:05d}", f"Legacy Provider {p}", "educational_organization",
             f"pd{p}@provider{p}.example", date(2015, 1, 1) + timedelta(days=p % 3000)]
            for p in range(1, providers + 1)
        ),
    )  # fmt: skip
    write(
        "events.csv",
        ["event_id", "provider", "title", "start_date", "end_date", "hours", "format",
         "location"],
        (
            [f"E{p}", f"LP-{p:05d}", f"Workshop {p}", "2024-10-01", "2024-10-02", "12",
             "in_person", "Helena"]
            for p in range(1, providers + 1)
        ),
    )  # fmt: skip
    write(
        "certificates.csv",
        ["number", "first_name", "last_name", "email", "license_number", "hours",
         "start_date", "end_date", "issued_on", "title", "provider", "event_id"],
        (
            [f"OLD-{c:07d}", "Educator", str(c // PER_EDUCATOR),
             f"educator{c // PER_EDUCATOR}@school.example", f"MT{c // PER_EDUCATOR:06d}", "6",
             "2024-10-01", "2024-10-02", "2024-10-07", "", f"LP-{p:05d}", f"E{p}"]
            for c in range(certificates)
            for p in [c % providers + 1]
        ),
    )  # fmt: skip


def bulk_baseline(url: str, providers: int, certificates: int) -> float:
    """The same rows written straight into an empty database (bench/bulk.py)."""
    from sqlalchemy import text

    from bench.bulk import insert_rows, stamp
    from models.db import make_engine

    now = datetime.fromisoformat(NOW)
    noon = datetime(2024, 10, 7, 19, tzinfo=UTC)
    engine = make_engine(url)
    began = time.perf_counter()
    with engine.begin() as connection:
        insert_rows(
            connection, "providers",
            "id, number, name, normalized_name, kind, contact_email, approved_at, created_at, "
            "status",
            [(p, f"LP-{p:05d}", f"Legacy Provider {p}", f"legacy provider {p}",
              "educational_organization", f"pd{p}@provider{p}.example", stamp(url, noon),
              stamp(url, now), "approved") for p in range(1, providers + 1)],
        )  # fmt: skip
        insert_rows(
            connection, "provider_events",
            "id, provider_id, legacy_id, title, start_date, end_date, hours, format, locations, "
            "channel, reported_at, reported_late, certificates_issued",
            [(p, p, f"E{p}", f"Workshop {p}", date(2024, 10, 1), date(2024, 10, 2),
              12, "in_person", '["Helena"]', "cli", stamp(url, noon), False,
              certificates // providers) for p in range(1, providers + 1)],
        )  # fmt: skip
        educators = (certificates + PER_EDUCATOR - 1) // PER_EDUCATOR
        insert_rows(
            connection, "people", "id, email, first_name, last_name, license_number, created_at",
            [(e + 1, f"educator{e}@school.example", "Educator", str(e), f"MT{e:06d}",
              stamp(url, now)) for e in range(educators)],
        )  # fmt: skip
        insert_rows(
            connection, "certificates",
            "number, verification_code, event_id, person_id, holder_name, license_number, "
            "activity_title, provider_name, start_date, end_date, hours, issued_at, status, "
            "imported_at",
            [(f"OLD-{c:07d}", secrets.token_hex(8), c % providers + 1, c // PER_EDUCATOR + 1,
              f"Educator {c // PER_EDUCATOR}", f"MT{c // PER_EDUCATOR:06d}",
              f"Workshop {c % providers + 1}", f"Legacy Provider {c % providers + 1}",
              date(2024, 10, 1), date(2024, 10, 2), 6, stamp(url, noon), "valid",
              stamp(url, now)) for c in range(certificates)],
        )  # fmt: skip
        count = connection.execute(text("SELECT count(*) FROM certificates")).scalar_one()
    elapsed = time.perf_counter() - began
    engine.dispose()
    assert count == certificates
    return elapsed


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def run(name: str, url: str, baseline_url: str, args: argparse.Namespace, work: Path) -> None:
    from models.migrate import upgrade
    from models.services.context import ServiceContext
    from models.services.legacy_import import import_legacy
    from models.settings import reset_settings
    from models.uow import UnitOfWork

    upgrade(url)
    upgrade(baseline_url)
    os.environ["PDU_DATABASE_URL"] = url
    reset_settings()
    directory = work / "legacy"
    now = datetime.fromisoformat(NOW)

    def once(execute: bool) -> Any:
        with UnitOfWork() as unit:
            report = import_legacy(ServiceContext.of(unit, now), directory, execute=execute)
            if report.executed:
                unit.commit()
        assert not report.problems, report.problems[:5]
        return report

    dry, _ = timed(lambda: once(False))
    executed, report = timed(lambda: once(True))
    assert report.new["certificates.csv"] == args.certificates
    again, second = timed(lambda: once(True))
    assert sum(second.new.values()) == 0
    bulk = bulk_baseline(baseline_url, args.providers, args.certificates)
    rows = args.providers * 2 + args.certificates
    print(f"\n{name}: {args.providers:,} providers (an event each), "
          f"{args.certificates:,} certificates")  # fmt: skip
    print(f"  dry run (every line checked)        {dry:8.1f} s")
    print(f"  --execute (one transaction)         {executed:8.1f} s "
          f"({args.certificates / executed:,.0f} certificates/s)")  # fmt: skip
    print(f"  second --execute (all present)      {again:8.1f} s")
    print(f"  bulk insert of the same rows        {bulk:8.1f} s (baseline, {rows:,} rows "
          "+ people)")  # fmt: skip
    print(f"  import / bulk insert                {executed / bulk:8.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--providers", type=int, default=5_000)
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    names = kinds(parser, args.databases)
    with bench_databases("pdu-bench-legacy-") as databases:
        work = databases.work
        os.environ |= {
            "PDU_DATA_DIR": str(work / "data"),
            "PDU_NOW": NOW,
            "PDU_SECRET_KEY": secrets.token_urlsafe(32),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
        (work / "legacy").mkdir()
        write_files(work / "legacy", args.providers, args.certificates)
        print("load average before: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
        for name in names:
            run(name, databases.url(name, "import"), databases.url(name, "bulk"), args, work)
    print("load average after: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
