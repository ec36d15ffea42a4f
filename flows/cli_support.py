"""Helpers shared by the command groups: the unit of work, printing, and the one mapping
from errors to exit codes and messages (every command gets it from `flows/cli.py`)."""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.migrate import DatabaseProblem
from models.services.errors import Conflict, NotFound, UserError
from models.settings import SettingsError
from models.uow import UnitOfWork

EXIT_DONE, EXIT_INTERNAL, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_REFUSED = 0, 1, 2, 3, 4
EXIT_CODES_HELP = (
    "exit codes: 0 done; 1 internal error; 2 bad usage or input (a setting, a file, the "
    "database not set up); 3 not found; 4 refused or conflict (e.g. a certificate that is "
    "not valid, a record already revoked); 130 interrupted. With --json (every command) the "
    "result is JSON on stdout, and an error a JSON object on stderr."
)
# What --json means for the commands that run until stopped (`pdu web`, `pdu serve`).
LONG_RUNNING_JSON = (
    'one JSON line on stdout once it is up ({"event": "started", ...}); log lines as '
    "JSON objects on stderr"
)


def uow() -> UnitOfWork:
    return UnitOfWork()


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str), flush=True)


def print_json_line(value: Any) -> None:
    """One JSON object on one line: a JSON Lines row, or a long-running command's start line."""
    print(json.dumps(value, ensure_ascii=False, default=str), flush=True)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def add_page_arguments(parser: Any, after: str) -> None:
    """--limit, --page/--after, --all, --json, --jsonl: the same on every listing."""
    parser.add_argument("--limit", type=int, default=None, help="rows per page (default 50)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--page", type=int, default=1, help="which page, newest first")
    where.add_argument("--after", metavar=after, help=f"the page after this {after.lower()}")
    where.add_argument("--all", action="store_true", help="every row, streamed")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="a JSON array")
    out.add_argument("--jsonl", action="store_true", help="JSON Lines, one row a line")


def page_of(args: Any, after_id: Any) -> Any:
    """The Page the arguments ask for; `after_id(text)` resolves --after to a row id."""
    from models.services.paging import DEFAULT_LIMIT, Page

    if args.all:
        return Page(limit=args.limit)  # --all --limit N: the first N, streamed
    limit = DEFAULT_LIMIT if args.limit is None else args.limit
    if args.after:
        return Page(limit=limit, after_id=after_id(args.after))
    return Page(limit=limit, number=args.page)


def emit_rows(
    rows: Iterator[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    args: Any,
    next_hint: Any = None,
) -> int:
    """Print rows as they come: a table (HEADER: key pairs), a JSON array or JSON Lines.

    The table's widths come from the first chunk of rows, so nothing waits for the end;
    `next_hint(last_row)` says how to get the next page when the page was full.
    """
    count, last = 0, None
    if args.jsonl:
        for row in rows:
            print_json_line(row)
            count, last = count + 1, row
    elif args.json:
        print("[", end="")
        for row in rows:
            print(
                ("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False, default=str),
                end="",
            )
            count, last = count + 1, row
        print("\n]" if count else "]")
    else:
        headers = [h for h, _ in columns]
        head = list(itertools.islice(rows, 200))
        cells = [[("" if r[k] is None else str(r[k])) for _, k in columns] for r in head]
        widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        for row in itertools.chain(head, rows):
            values = [("" if row[k] is None else str(row[k])) for _, k in columns]
            print("  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip())
            count, last = count + 1, row
    if next_hint and last is not None and not args.all:
        limit = args.limit or 50
        if count == limit:
            print(next_hint(last), file=sys.stderr)
    return count


@dataclass(frozen=True)
class Failure:
    """What a command that raised tells its caller."""

    exit_code: int
    kind: str  # usage | not_found | refused | database | settings | service | internal
    message: str
    details: dict[str, Any] | None = None  # more for a script (a form's problems)

    def as_dict(self) -> dict[str, Any]:
        found = {"error": self.kind, "message": self.message, "exit_code": self.exit_code}
        return found | (self.details or {})


class CommandFailed(Exception):
    """A command's own failure, with details for --json (a roster's problems, a service that
    did not start): reported like every other error, a line or a JSON object on stderr."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


# Most specific first: NotFound and Conflict are UserErrors too.
_KNOWN: tuple[tuple[type[BaseException], int, str], ...] = (
    (NotFound, EXIT_NOT_FOUND, "not_found"),
    (Conflict, EXIT_REFUSED, "refused"),
    (DatabaseProblem, EXIT_USAGE, "database"),
    (SettingsError, EXIT_USAGE, "settings"),
    (UserError, EXIT_USAGE, "usage"),
)


def failure_of(exc: BaseException) -> Failure | None:
    """The failure a user is told of, or None for an internal error (a bug, shown as one
    line without details unless --debug)."""
    if isinstance(exc, CommandFailed):
        return exc.failure
    for cls, code, kind in _KNOWN:
        if isinstance(exc, cls):
            return Failure(code, kind, str(exc))
    problem = _database_problem(exc)
    if problem is not None:
        return Failure(EXIT_USAGE, "database", str(problem))
    return None


def _database_problem(exc: BaseException) -> DatabaseProblem | None:
    """A database error caused by configuration (bad URL, server down, schema missing or
    behind) rather than by a bug: checked against the database itself, never guessed."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    if not isinstance(exc, (DBAPIError, ArgumentError, NoSuchModuleError)):
        return None
    from models.migrate import schema_problem
    from models.settings import get_settings

    try:
        return schema_problem(get_settings().sqlalchemy_url)
    except Exception:  # the check itself failed: report the original error as internal
        return None


def report_failure(exc: BaseException, as_json: bool) -> int:
    failure = failure_of(exc) or Failure(
        EXIT_INTERNAL,
        "internal",
        f"internal error ({type(exc).__name__}); run again with --debug for details",
    )
    if as_json:
        print(json.dumps(failure.as_dict(), ensure_ascii=False), file=sys.stderr)
    else:
        print(f"pdu: {failure.message}", file=sys.stderr)
    return failure.exit_code


@contextmanager
def progress(what: str, total: int | None = None) -> Iterator[Callable[..., None] | None]:
    """A progress bar on stderr for long work, when stderr is a terminal (rich: the count,
    the total and the time left when known; no colour under NO_COLOR); None otherwise, so
    a script's output stays plain lines. The callback takes (done) or (done, total)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
    with Progress(
        f"{what}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
        transient=False,
    ) as bar:  # fmt: skip
        task = bar.add_task(what, total=total)

        def advance(done: int, total: int | None = None) -> None:
            if total:
                bar.update(task, completed=done, total=total)
            else:
                bar.update(task, completed=done)

        yield advance


def print_result(
    json_wanted: bool, value: Any, text: str | Callable[[], object], code: int = EXIT_DONE
) -> int:
    """Every command's outcome, the one way: with --json, `value` as one JSON document on
    stdout (an object; a listing's array); else for a person, `text` (lines) or what
    `text()` prints (a table). Returns the exit code."""
    if json_wanted:
        print_json(value)
    elif callable(text):
        text()
    else:
        print(text)
    return code


def parse_day(text: str, option: str = "date") -> date:
    """A calendar day as YYYY-MM-DD, or the usual one-line error naming the option."""
    from models.services.errors import UserError

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a date like 2026-12-28") from None
