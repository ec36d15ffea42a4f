"""Issuing and redeeming reply tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from mailbox.tokens import looks_like_token, new_token, token_hash

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.cases import Case, ReviewTask
from models.messages import ReplyToken
from models.services.context import transaction_cache

# The batch's tokens read ahead (models/services/email/batch_reads.py): hash -> row.
READ_AHEAD = "reply_tokens"


def issue_token(
    session: Session,
    *,
    case: Case,
    recipient: str,
    allowed: set[str],
    now: datetime,
    ttl: timedelta,
    secret_key: str,
    task: ReviewTask | None = None,
) -> tuple[str, ReplyToken]:
    """A new token for `recipient`; the plain value goes into one email and nowhere else."""
    token = new_token()
    row = ReplyToken(
        token_hash=token_hash(token, secret_key),
        case_id=case.id,
        task_id=task.id if task else None,
        recipient=recipient.lower(),
        allowed=" ".join(sorted(v.upper() for v in allowed)),
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)  # written by the next flush, with the email that carries it
    return token, row


@dataclass(frozen=True)
class Redeemed:
    token: ReplyToken | None
    problem: str | None  # a reason code when the token cannot be used


def token_hashes(token: str, keys: Sequence[str]) -> list[str]:
    """What `token` is stored as under each key (none when it cannot be one of ours)."""
    return [token_hash(token, key) for key in keys] if looks_like_token(token.lower()) else []


def find_token(session: Session, token: str, keys: Sequence[str], now: datetime) -> Redeemed:
    """`keys`: the current secret and earlier ones (a token issued before a rotation keeps
    working until it expires)."""
    hashes = token_hashes(token, keys)
    if not hashes:
        return Redeemed(None, "token_unknown")
    read: dict[str, ReplyToken] = transaction_cache(session).get(READ_AHEAD, {})
    row = next((read[h] for h in hashes if h in read), None) or session.scalar(
        select(ReplyToken).where(ReplyToken.token_hash.in_(hashes))
    )
    if row is None:
        return Redeemed(None, "token_unknown")
    if row.expires_at <= now:
        return Redeemed(row, "token_expired")
    return Redeemed(row, None)


def allows(token: ReplyToken, verb: str) -> bool:
    return verb.upper() in token.allowed.split()


def retire_tokens(
    session: Session,
    now: datetime,
    *,
    case_id: int | None = None,
    task_id: int | None = None,
    recipient: str | None = None,
) -> int:
    """Unused, unexpired tokens matching every filter given expire now: their reply
    addresses stop working (a resent email, a handed-over task, a staff member who left).
    Returns how many."""
    rows = select(ReplyToken).where(ReplyToken.used_at.is_(None), ReplyToken.expires_at > now)
    if case_id is not None:
        rows = rows.where(ReplyToken.case_id == case_id)
    if task_id is not None:
        rows = rows.where(ReplyToken.task_id == task_id)
    if recipient is not None:
        rows = rows.where(ReplyToken.recipient == recipient.lower())
    retired = 0
    for token in session.scalars(rows):
        token.expires_at = now
        retired += 1
    return retired
