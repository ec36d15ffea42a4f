"""Helpers shared by the command groups: the unit of work, the clock, printing."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from models.uow import UnitOfWork


def uow() -> UnitOfWork:
    return UnitOfWork()


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


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
            print(json.dumps(row, ensure_ascii=False, default=str))
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
