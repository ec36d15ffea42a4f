"""The one entry point for an inbound email: raw RFC 5322 bytes in, a recorded outcome out.

1. The raw message is stored under a unique key and committed before anything acts on it
   (a crash after this loses nothing; a second delivery is recognised as a duplicate).
2. It is parsed, classified, matched to a case and acted on in ONE transaction that also
   records the outcome, so an effect is applied exactly once or not at all.
3. Anything unexpected is an operator error: logged (addresses redacted) and recorded as
   outcome `error`; the message goes to Quarantine and the others go on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from mailbox.addresses import redact

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import object_session

from models.cases import Case
from models.enums import InboundOutcome
from models.messages import InboundMessage
from models.services.case_certificates import issue_reserved
from models.services.email.decide import decide
from models.services.review import ACCEPTED
from models.uow import UnitOfWork

log = logging.getLogger(__name__)
HEADER_SCAN_BYTES = 256 * 1024


@dataclass(frozen=True)
class InboundResult:
    inbound_id: int
    outcome: InboundOutcome
    reason: str
    detail: str = ""
    case_reference: str | None = None
    duplicate: bool = False

    @property
    def folder_is_processed(self) -> bool:
        return self.outcome.folder_is_processed


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(header block, body); the header block bounded (the full parser comes later)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        at = raw.find(separator, 0, HEADER_SCAN_BYTES)
        if at >= 0:
            return raw[:at], raw[at + len(separator) :]
    return raw[:HEADER_SCAN_BYTES], b""


def _header(head: bytes, name: str) -> str:
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(head).get(name)
    except Exception:  # malformed headers: fall back to the content hash
        return ""
    return str(value).strip() if value else ""


def _message_id(raw: bytes) -> str | None:
    """Message-ID from the header block only."""
    return _header(_split(raw)[0], "Message-ID")[:998] or None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def message_id_key(message_id: str | None) -> str | None:
    return _sha(message_id.lower()) if message_id else None


def dedupe_key(raw: bytes, message_id: str | None) -> str:
    """The same message delivered twice has the same key; a different message that reuses a
    Message-ID (broken mailers do; so can someone who wants one of ours ignored) has another:
    the key covers the ID, the From header and the body (not the transport headers, which a
    second delivery changes)."""
    if not message_id:
        return "raw:" + hashlib.sha256(raw).hexdigest()
    head, body = _split(raw)
    sender = " ".join(_header(head, "From").lower().split())
    digest = hashlib.sha256(body.replace(b"\r\n", b"\n").rstrip()).hexdigest()
    return "mid:" + _sha(f"{message_id.lower()}\0{sender}\0{digest}")


def _result(row: InboundMessage, duplicate: bool = False) -> InboundResult:
    assert row.outcome is not None, "only a processed message has a result"
    reference = None
    if row.case_id is not None:
        session = object_session(row)
        case = session.get(Case, row.case_id) if session else None
        reference = case.reference if case else None
    return InboundResult(
        row.id,
        InboundOutcome(row.outcome),
        row.reason or "",
        row.detail or "",
        reference,
        duplicate,
    )


def store_raw(
    uow_factory: Callable[[], UnitOfWork],
    raw: bytes | None,
    *,
    now: datetime,
    size: int,
    folder: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    key: str | None = None,
    message_id: str | None = None,
) -> tuple[int, InboundResult | None]:
    """Step 1. Returns (row id, the earlier result when this message was already handled)."""
    if raw is not None:
        message_id = _message_id(raw)
        key = dedupe_key(raw, message_id)
    assert key is not None
    with uow_factory() as work:
        row = work.session.scalar(select(InboundMessage).where(InboundMessage.dedupe_key == key))
        if row is not None:
            if row.outcome is not None:
                return row.id, _result(row, duplicate=True)
            return row.id, None  # stored before a crash, never processed: process it now
        id_key = message_id_key(message_id)
        earlier = (
            work.session.scalar(
                select(InboundMessage.id)
                .where(InboundMessage.message_id_key == id_key)
                .order_by(InboundMessage.id)
                .limit(1)
            )
            if id_key
            else None
        )
        if earlier is not None:
            log.warning("inbound: Message-ID reused by a different message (earlier #%s)", earlier)
        row = InboundMessage(
            dedupe_key=key,
            message_id=message_id,
            message_id_key=id_key,
            collides_with_id=earlier,
            folder=folder,
            uidvalidity=uidvalidity,
            uid=uid,
            size=size,
            raw=raw,
            received_at=now,
        )
        work.session.add(row)
        work.commit()
        return row.id, None


def receive(
    uow_factory: Callable[[], UnitOfWork],
    raw: bytes,
    *,
    now: datetime,
    folder: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
) -> InboundResult:
    """Steps 1-3 for one message."""
    inbound_id, earlier = store_raw(
        uow_factory, raw, now=now, size=len(raw), folder=folder, uidvalidity=uidvalidity, uid=uid
    )
    if earlier is not None:
        return earlier
    return process_stored(uow_factory, inbound_id, now=now)


def receive_oversize(
    uow_factory: Callable[[], UnitOfWork],
    *,
    now: datetime,
    size: int,
    folder: str,
    uidvalidity: int,
    uid: int,
) -> InboundResult:
    """A message over the size cap is never downloaded: recorded from its size alone."""
    key = f"uid:{folder}:{uidvalidity}:{uid}"
    inbound_id, earlier = store_raw(
        uow_factory,
        None,
        now=now,
        size=size,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=uid,
        key=key,
    )
    if earlier is not None:
        return earlier
    with uow_factory() as work:
        row = work.session.get(InboundMessage, inbound_id)
        assert row is not None
        _finish(
            row,
            InboundOutcome.REFUSED,
            "too_large",
            f"{size} bytes; the limit is {work.settings.max_message_bytes}",
            now,
        )
        work.commit()
        return _result(row)


def _finish(
    row: InboundMessage, outcome: InboundOutcome, reason: str, detail: str, now: datetime
) -> None:
    row.outcome, row.reason, row.detail, row.processed_at = outcome.value, reason, detail, now


def process_stored(
    uow_factory: Callable[[], UnitOfWork], inbound_id: int, *, now: datetime
) -> InboundResult:
    try:
        with uow_factory() as work:
            row = work.session.get(InboundMessage, inbound_id)
            assert row is not None and row.raw is not None
            if row.outcome is not None:
                return _result(row, duplicate=True)
            verdict = decide(work, row, now)
            row.case_id = verdict.case_id
            row.from_address = verdict.sender
            row.subject = verdict.subject
            _finish(row, verdict.outcome, verdict.reason, verdict.detail, now)
            result = _result(row)  # before the commit: after it, reading the case is a third
            work.commit()  # transaction (on SQLite, BEGIN IMMEDIATE: the write lock again)
        if verdict.case_id is not None and verdict.reason.partition(" ")[0] == ACCEPTED:
            _issue_accepted(uow_factory, verdict.case_id, now)
        return result
    except (OperationalError, InterfaceError):
        # The database went away (restart, network): not this message's fault. It stays
        # stored without an outcome and in the inbox; the next poll processes it.
        raise
    except Exception as exc:
        log.exception("inbound message %s: internal error (%s)", inbound_id, type(exc).__name__)
        with uow_factory() as work:
            row = work.session.get(InboundMessage, inbound_id)
            assert row is not None
            _finish(row, InboundOutcome.ERROR, "internal_error", type(exc).__name__, now)
            work.commit()
            return _result(row)


def _issue_accepted(uow_factory: Callable[[], UnitOfWork], case_id: int, now: datetime) -> None:
    """An accepted proof's certificate, drawn now that the decision is committed. The
    message's outcome stands whatever happens here: what is not issued now, the sweep is."""
    try:
        issue_reserved(uow_factory, now, case_id)
    except Exception as exc:
        log.exception("case %s: certificate not issued yet (%s)", case_id, type(exc).__name__)


def log_outcome(result: InboundResult, sender: str | None) -> None:
    log.info(
        "inbound %s from %s: %s (%s)",
        result.inbound_id,
        redact(sender) if sender else "?",
        result.outcome.value,
        result.reason,
    )
