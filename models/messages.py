"""Mail state: inbound messages with their outcome, the outbox, reply tokens, attachments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, StrEnumType, enum_check
from models.enums import OutboxStatus


class InboundMessage(Base):
    """Every message read from the mailbox, stored raw before anything acts on it."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(
        String(80),
        unique=True,
        comment="sha256 of Message-ID, sender and body (or of the raw bytes without an ID)",
    )
    message_id: Mapped[str | None] = mapped_column(String(998))
    message_id_key: Mapped[str | None] = mapped_column(
        String(64), index=True, comment="sha256 of the Message-ID alone: finds collisions"
    )
    collides_with_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"),
        comment="an earlier message with this Message-ID but another sender or content",
    )
    folder: Mapped[str | None] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger, comment="unsigned 32-bit")
    uid: Mapped[int | None] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, comment="None when refused for size")
    from_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(String(24), comment="None until processed")
    reason: Mapped[str | None] = mapped_column(String(48), comment="reason code")
    detail: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    processed_at: Mapped[datetime | None]
    filed_to: Mapped[str | None] = mapped_column(
        String(200), comment="IMAP folder it was moved to; None while still in the inbox"
    )


class OutboxMessage(Base):
    """An email to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (enum_check("status", OutboxStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(
        String(250), unique=True, comment="stable across retries"
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    template: Mapped[str] = mapped_column(String(60))
    to_addresses: Mapped[list[str]] = mapped_column(JSON)
    cc_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply_to: Mapped[str | None] = mapped_column(
        String(320), comment="holds the plain token only until sent; scrubbed after"
    )
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("reply_tokens.id", ondelete="SET NULL"),
        index=True,  # like every foreign key whose parents the purge deletes
        comment="the token behind Reply-To, for matching replies by In-Reply-To",
    )
    # Set with the token object, so a token and its email are written by the same flush
    # (issuing a token flushed the session on its own, once for every email we send).
    token: Mapped[ReplyToken | None] = relationship(lazy="raise")
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, comment="[{path, filename, content_type}]"
    )
    status: Mapped[OutboxStatus] = mapped_column(StrEnumType(OutboxStatus, 16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class ReplyToken(Base):
    """A secret in a reply address, bound to a case, a recipient and the commands it allows."""

    __tablename__ = "reply_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256; never plain")
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_tasks.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(320))
    allowed: Mapped[str] = mapped_column(String(200), comment="space-separated verbs")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(comment="decision tokens work once")
    held_inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="CASCADE"),
        index=True,
        comment="for a CONFIRM token: the held decision it would apply",
    )


class Attachment(Base):
    """A file received by email, stored on disk under data_dir by its SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255), comment="sanitised")
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]


class ErrorReply(Base):
    """One error reply per address, reason and day at most (no mail loops, no floods)."""

    __tablename__ = "error_replies"
    __table_args__ = (UniqueConstraint("address", "reason", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(48))
    day: Mapped[date] = mapped_column(Date)


class MailboxState(Base):
    """Where the poller is in each IMAP folder."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    folder: Mapped[str] = mapped_column(String(200), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_poll_at: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100), comment="poller holding the lease")
    locked_until: Mapped[datetime | None] = mapped_column(comment="lease expiry")
