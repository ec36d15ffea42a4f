"""The links of a paged listing on the web (the macro in templates/web/_pager.html.j2)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode


def pager(
    path: str, params: dict[str, str], number: int, pages: int, total: int, anchor: str = ""
) -> dict[str, Any]:
    """Page `number` of `pages` (`total` rows); the other pages keep the query's `params`."""

    def link(to: int) -> str:
        return f"{path}?" + urlencode(params | {"page": str(to)}) + (f"#{anchor}" if anchor else "")

    return {
        "number": number,
        "pages": pages,
        "total": total,
        "previous": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < pages else None,
    }
