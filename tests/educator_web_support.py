"""Signing an educator in over real HTTP: ask for a link, read it from the outbox (or a
real mailbox), open it, press the button."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from models.messages import OutboxMessage
from models.uow import UnitOfWork
from tests.web_support import csrf_of

LINK = re.compile(r"https?://[^\s]+/me/sign-in/([A-Za-z0-9_-]+)")


def ask_for_link(http: httpx.Client, email: str) -> httpx.Response:
    token = csrf_of(http.get("/me").text)
    return http.post("/me", data={"csrf_token": token, "email": email})


def outbox_link(email: str) -> str:
    """The newest sign-in link queued for `email` (its token)."""
    with UnitOfWork() as work:
        rows = work.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == "sign_in_link")
            .order_by(OutboxMessage.id.desc())
        )
        for row in rows:
            if row.to_addresses == [email]:
                found = LINK.search(row.body_text)
                assert found
                return found[1]
    raise AssertionError(f"no sign-in link for {email}")


def open_link(http: httpx.Client, token: str) -> httpx.Response:
    page = http.get(f"/me/sign-in/{token}")
    assert page.status_code == 200
    return http.post("/me/sign-in", data={"csrf_token": csrf_of(page.text), "token": token})


def sign_in(http: httpx.Client, email: str) -> None:
    assert ask_for_link(http, email).status_code == 200
    answer = open_link(http, outbox_link(email))
    assert answer.status_code == 303 and answer.headers["location"] == "/me/home", answer.text
