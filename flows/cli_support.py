"""Helpers shared by the command groups: the unit of work, the clock, printing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
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


def print_result(json_wanted: bool, value: Any, line: str) -> int:
    """A command's outcome: `value` as JSON with --json, else one line for a person."""
    if json_wanted:
        print_json(value)
    else:
        print(line)
    return 0


def parse_day(text: str, option: str = "date") -> date:
    """A calendar day as YYYY-MM-DD, or the usual one-line error naming the option."""
    from models.services.errors import UserError

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a date like 2026-12-28") from None
