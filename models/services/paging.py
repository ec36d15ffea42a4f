"""Listings that page: newest first (or in number order), a page at a time or everything streamed.

One shape for every `pdu ... list`: `Page(limit=50, number=1)` is the first page,
`Page(after_id=N)` the rows after row N in the listing's order (keyset: as fast on the
thousandth page as on the first), `Page(limit=None)` everything. Rows come from the
database in chunks, so a listing's memory does not grow with the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from models.services.errors import UserError

DEFAULT_LIMIT = 50
CHUNK = 1000


@dataclass(frozen=True)
class Page:
    limit: int | None = DEFAULT_LIMIT  # None: every row
    number: int = 1  # 1-based; ignored with after_id
    after_id: int | None = None  # the rows that come after this one

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise UserError(f"--limit must be at least 1, not {self.limit}")
        if self.number < 1:
            raise UserError(f"--page must be at least 1, not {self.number}")


def page_of(total: int, per_page: int, asked: int) -> tuple[int, int]:
    """(the page to show, how many pages) for `total` rows, `per_page` a page: a page asked
    for past either end shows the nearest one."""
    pages = max(1, -(-total // per_page))
    return min(max(1, asked), pages), pages


def in_order(
    session: Session, query: Select[Any], id_column: Any, page: Page, newest_first: bool = True
) -> Iterator[Any]:
    """The page's rows, newest (highest id) first unless told otherwise, fetched in chunks
    as they are read. "After" a row means further along that order."""
    if newest_first:
        query = query.order_by(id_column.desc())
        if page.after_id is not None:
            query = query.where(id_column < page.after_id)
    else:
        query = query.order_by(id_column)
        if page.after_id is not None:
            query = query.where(id_column > page.after_id)
    if page.after_id is None and page.limit is not None and page.number > 1:
        query = query.offset((page.number - 1) * page.limit)
    if page.limit is not None:
        query = query.limit(page.limit)
    yield from session.execute(query.execution_options(yield_per=CHUNK))
