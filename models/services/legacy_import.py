"""Bringing the old system's records in: `pdu import legacy DIR` (docs/migration.md).

Five CSV files, each optional but providers.csv: the providers with their numbers and
approval dates, their accounts under their old usernames, their events, the certificates
already issued and the pre-approval requests still open. Every line is checked first
(every problem with file and line, what matches records already here); a dry run stops
there. `execute` then imports all or nothing in the caller's one transaction, refused as a
whole while any problem is listed; running it twice adds nothing. A legacy number this
system already gave out is refused, never renumbered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from models.services import (
    legacy_accounts,
    legacy_certificates,
    legacy_events,
    legacy_preapprovals,
    legacy_providers,
)
from models.services.context import ServiceContext
from models.services.errors import NotFound
from models.services.legacy_files import Known, LegacyReport, Line, read_lines

# In the order they are checked and written: each may name records of the ones before.
KNOWN_FILES = (
    legacy_providers.FILE,
    legacy_accounts.FILE,
    legacy_events.FILE,
    legacy_certificates.FILE,
    legacy_preapprovals.FILE,
)
COLUMNS = {
    legacy_providers.FILE: legacy_providers.COLUMNS,
    legacy_accounts.FILE: legacy_accounts.COLUMNS,
    legacy_events.FILE: legacy_events.COLUMNS,
    legacy_certificates.FILE: legacy_certificates.COLUMNS,
    legacy_preapprovals.FILE: legacy_preapprovals.COLUMNS,
}

Progress = Callable[[int, int], None]  # (done, total) rows
R = TypeVar("R")
Check = Callable[[ServiceContext, list[Line], Known, LegacyReport], list[R]]


def import_legacy(
    ctx: ServiceContext, directory: Path, *, execute: bool, on_progress: Progress | None = None
) -> LegacyReport:
    if not directory.is_dir():
        raise NotFound(f"{directory} is not a directory")
    if not (directory / legacy_providers.FILE).exists():
        raise NotFound(f"{directory} has no providers.csv (see docs/migration.md)")
    report = LegacyReport()
    report.not_read = sorted(p.name for p in directory.glob("*.csv") if p.name not in KNOWN_FILES)
    files = {
        name: read_lines(directory / name, COLUMNS[name], report)
        for name in KNOWN_FILES
        if (directory / name).exists()
    }
    total = sum(len(lines) for lines in files.values()) * (2 if execute else 1)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if on_progress is not None:
            on_progress(done, total)

    known = Known()

    def checked(name: str, check: Check[R]) -> list[R]:
        rows = check(ctx, files.get(name, []), known, report)
        advance(len(files.get(name, [])))
        return rows

    providers = checked(legacy_providers.FILE, legacy_providers.check)
    accounts = checked(legacy_accounts.FILE, legacy_accounts.check)
    events = checked(legacy_events.FILE, legacy_events.check)
    certificates = checked(legacy_certificates.FILE, legacy_certificates.check)
    requests = checked(legacy_preapprovals.FILE, legacy_preapprovals.check)
    counts = {
        legacy_providers.FILE: len(providers),
        legacy_accounts.FILE: len(accounts),
        legacy_events.FILE: len(events),
        legacy_certificates.FILE: len(certificates),
        legacy_preapprovals.FILE: len(requests),
    }
    report.new = {name: count for name, count in counts.items() if name in files}
    report.problems.sort(key=_by_file_and_line)
    if not execute or report.problems:
        return report
    # Matched lines are done already; each file's additions advance the bar as written.
    advance(sum(len(lines) for lines in files.values()) - sum(counts.values()))
    legacy_providers.add(ctx, providers)
    advance(len(providers))
    report.emails = legacy_accounts.add(ctx, accounts)
    advance(len(accounts))
    legacy_events.add(ctx, events)
    advance(len(events))
    legacy_certificates.add(ctx, certificates, advance)
    legacy_preapprovals.add(ctx, requests)
    advance(len(requests))
    ctx.session.flush()
    report.executed = True
    return report


def _by_file_and_line(problem: str) -> tuple[int, int]:
    """Problems in file order (KNOWN_FILES), then line order ("FILE line N: ...")."""
    name, _, rest = problem.partition(" ")
    name = name.rstrip(":")
    line = rest.removeprefix("line ").partition(":")[0]
    order = KNOWN_FILES.index(name) if name in KNOWN_FILES else len(KNOWN_FILES)
    return order, int(line) if line.isdigit() else 0
