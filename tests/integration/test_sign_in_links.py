"""Educators' sign-in links, on SQLite and PostgreSQL: single use, 15 minutes, a newer link
voids older ones, stored hashed, throttled in the database, the same for every address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import clock
from models.messages import OutboxMessage
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.sign_in_links import (
    LinkRefused,
    redeem_sign_in_link,
    request_sign_in_link,
)
from models.sign_in_links import SignInLink, Throttle, link_hash
from models.uow import UnitOfWork
from tests.educator_support import JANE, submit
from tests.web_support import seed_office

CLIENT = "192.0.2.10"


@pytest.fixture
def office(uow, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_office(monkeypatch)


def ask(email: str = JANE, client: str = CLIENT, throttle: Throttle | None = None):
    with UnitOfWork() as work:
        ctx = ServiceContext.of(work, clock.now())
        asked = request_sign_in_link(ctx, email, client, *([throttle] if throttle else []))
        work.commit()
        return asked


def redeem(token: str) -> str:
    with UnitOfWork() as work:
        email = redeem_sign_in_link(ServiceContext.of(work, clock.now()), token)
        work.commit()
        return email


def last_link(email: str = JANE) -> str:
    with UnitOfWork() as work:
        body = work.session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.template == "sign_in_link")
            .order_by(OutboxMessage.id.desc())
        ).first()
    assert body is not None
    found = re.search(r"/me/sign-in/([A-Za-z0-9_-]+)", body)
    assert found
    return found[1]


def later(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    monkeypatch.setenv("PDU_NOW", (clock.now() + timedelta(**delta)).isoformat())


def test_a_link_signs_its_address_in_once_and_is_stored_only_as_a_hash(office):
    assert ask("Jane@School.example").sent
    token = last_link()
    with UnitOfWork() as work:
        [row] = work.session.scalars(select(SignInLink))
        assert row.token_hash == link_hash(token) and token not in row.token_hash
        assert row.client != CLIENT  # the client address only as an HMAC
    assert redeem(token) == JANE
    with pytest.raises(LinkRefused, match="already used"):
        redeem(token)


def test_a_link_expires_after_fifteen_minutes(office, monkeypatch):
    ask()
    token = last_link()
    later(monkeypatch, minutes=15)
    with pytest.raises(LinkRefused, match="expired"):
        redeem(token)


def test_a_newer_link_voids_the_older_one(office, monkeypatch):
    ask()
    older = last_link()
    later(monkeypatch, minutes=1)
    ask()
    newer = last_link()
    with pytest.raises(LinkRefused, match="newer sign-in link"):
        redeem(older)
    assert redeem(newer) == JANE


def test_an_unknown_token_is_refused_in_plain_words(office):
    with pytest.raises(LinkRefused, match="not valid"):
        redeem("x" * 43)


def test_a_known_and_an_unknown_address_get_the_same_answer_and_the_same_email(office):
    submit()  # Jane has a request; nobody@ has nothing
    known, unknown = ask(JANE), ask("nobody@school.example", client="192.0.2.11")
    assert known == unknown
    with UnitOfWork() as work:
        mails = work.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "sign_in_link")
        ).all()
        bodies = [re.sub(r"/me/sign-in/\S+", "LINK", m.body_text) for m in mails]
        assert [m.to_addresses for m in mails] == [[JANE], ["nobody@school.example"]]
        assert bodies[0] == bodies[1] and mails[0].subject == mails[1].subject


def test_links_are_throttled_per_address_and_per_client_address(office, monkeypatch):
    throttle = Throttle(per_address=2, per_client=3, window=timedelta(minutes=15))
    assert ask(throttle=throttle).sent and ask(throttle=throttle).sent
    refused = ask(throttle=throttle)
    assert not refused.sent and refused.retry_after_minutes == 15
    assert ask("tom@school.example", throttle=throttle).sent  # third from this client
    assert not ask("ann@school.example", throttle=throttle).sent  # fourth: refused
    assert ask("ann@school.example", client="198.51.100.7", throttle=throttle).sent
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(SignInLink)) == 4
    later(monkeypatch, minutes=16)
    assert ask(throttle=throttle).sent  # the window has passed


def test_a_malformed_address_is_refused_in_plain_words_and_nothing_is_stored(office):
    with pytest.raises(UserError, match="is not a valid email address"):
        ask("jane@")
    with UnitOfWork() as work:
        assert work.session.scalar(select(func.count()).select_from(SignInLink)) == 0


def test_links_are_deleted_a_day_after_they_were_asked(office, monkeypatch):
    ask()
    later(monkeypatch, hours=25)
    ask("tom@school.example")
    with UnitOfWork() as work:
        assert work.session.scalars(select(SignInLink.email)).all() == ["tom@school.example"]
