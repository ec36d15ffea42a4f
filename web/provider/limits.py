"""Uploads larger than a roster may be are refused before their body is read: a 20 MB file
gets a plain page (413), not a parser's error, and never fills the disk or the memory."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.services.roster import MAX_BYTES
from web.pages import render

MAX_BODY = MAX_BYTES + 64 * 1024  # the roster and the form's other fields


class TooLarge(Exception):
    pass


class UploadLimit:
    """Pure ASGI: a post to the provider portal whose body (declared, or counted as it
    arrives) is larger than MAX_BODY is answered 413 and not read further."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/provider/"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await _refuse(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    megabytes = MAX_BYTES // (1024 * 1024)
    page: Any = render(
        Request(scope, receive),
        "message",
        status=413,
        headers={"Connection": "close", "Cache-Control": "no-store"},
        title="The file is too large",
        message=f"A roster can be at most {megabytes} MB (about 5,000 attendees). Nothing "
        "was uploaded. Split the file into smaller rosters and upload each.",
    )
    await page(scope, receive, send)
