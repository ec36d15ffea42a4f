"""The one entry point for an inbound email: raw RFC 5322 bytes in, a recorded outcome out.

1. The raw message is stored under a unique key and committed before anything acts on it
   (a crash after this loses nothing; a second delivery is recognised as a duplicate).
2. It is parsed, classified, matched to a case and acted on together with recording its
   outcome, all or nothing, so an effect is applied exactly once or not at all. A poll's
   batch is stored in one transaction and acted on in one more: first without savepoints,
   then, should anything in it fail, again with a savepoint a message.
3. Anything unexpected is an operator error: logged (addresses redacted) and recorded as
   outcome `error`; the message goes to Quarantine and the others go on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from mailbox.addresses import redact
from mailbox.parse import ParsedMessage
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import object_session
from sqlalchemy.orm.util import identity_key

from models.cases import Case
from models.enums import InboundOutcome
from models.messages import InboundMessage
from models.services.case_certificates import issue_reserved
from models.services.context import NeedsSavepoints, ServiceContext, failures_undo_the_pass
from models.services.email.batch_reads import read_ahead
from models.services.email.decide import decide, parse
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


def _headers(head: bytes, *names: str) -> list[str]:
    """The named fields of a header block, parsed once ("" for one missing, or for all when
    the block is malformed: the key falls back to the content hash)."""
    try:
        fields = BytesHeaderParser(policy=compat32).parsebytes(head)
    except Exception:
        return ["" for _ in names]
    return [str(value).strip() if (value := fields.get(name)) else "" for name in names]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def message_id_key(message_id: str | None) -> str | None:
    return _sha(message_id.lower()) if message_id else None


def dedupe_key(raw: bytes) -> tuple[str, str | None]:
    """(key, Message-ID). The same message delivered twice has the same key; a different
    message that reuses a Message-ID (broken mailers do; so can someone who wants one of
    ours ignored) has another: the key covers the ID, the From header and the body (not the
    transport headers, which a second delivery changes). The ID is read from the header
    block only."""
    head, body = _split(raw)
    found_id, found_from = _headers(head, "Message-ID", "From")
    message_id = found_id[:998] or None
    if not message_id:
        return "raw:" + hashlib.sha256(raw).hexdigest(), None
    sender = " ".join(found_from.lower().split())
    digest = hashlib.sha256(body.replace(b"\r\n", b"\n").rstrip()).hexdigest()
    return "mid:" + _sha(f"{message_id.lower()}\0{sender}\0{digest}"), message_id


def _result(row: InboundMessage, duplicate: bool = False) -> InboundResult:
    assert row.outcome is not None, "only a processed message has a result"
    reference = None
    if row.case_id is not None:
        session = object_session(row)
        if session is not None:  # the case is in the session when a reply acted on it
            case = session.identity_map.get(identity_key(Case, row.case_id))
            reference = case.reference if isinstance(case, Case) else session.scalar(
                select(Case.reference).where(Case.id == row.case_id)
            )
    return InboundResult(
        row.id,
        InboundOutcome(row.outcome),
        row.reason or "",
        row.detail or "",
        reference,
        duplicate,
    )


@dataclass(frozen=True)
class Incoming:
    """One message as it reaches us: its bytes (None when it is over the size cap and was
    never downloaded) and, from a mailbox, where it lies."""

    raw: bytes | None
    size: int
    folder: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None

    @classmethod
    def of(cls, raw: bytes, **where: Any) -> Incoming:
        return cls(raw, len(raw), **where)

    def keys(self) -> tuple[str, str | None]:
        """(dedupe key, Message-ID); a message never downloaded is known by its place."""
        if self.raw is None:
            return f"uid:{self.folder}:{self.uidvalidity}:{self.uid}", None
        return dedupe_key(self.raw)


def store_many(
    uow_factory: Callable[[], UnitOfWork], messages: Sequence[Incoming], *, now: datetime
) -> list[tuple[int, InboundResult | None]]:
    """Step 1 for a batch, in one transaction: (row id, the earlier result when the
    message was already handled) each. A message twice in the batch is one row."""
    keyed = [(message, *message.keys()) for message in messages]
    with uow_factory() as work:
        session = work.session
        keys = {key for _, key, _ in keyed}
        rows = {
            row.dedupe_key: row
            for row in session.scalars(
                select(InboundMessage).where(InboundMessage.dedupe_key.in_(keys))
            )
        }
        id_keys = {k for _, _, mid in keyed if (k := message_id_key(mid))}
        # The first row with each Message-ID: an id from before, a row from this batch.
        first_with: dict[str, int | InboundMessage] = {}
        if id_keys:
            earlier_ids = session.execute(
                select(InboundMessage.message_id_key, func.min(InboundMessage.id))
                .where(InboundMessage.message_id_key.in_(id_keys))
                .group_by(InboundMessage.message_id_key)
            )
            first_with.update((id_key, first) for id_key, first in earlier_ids if id_key)
        stored: list[tuple[InboundMessage, InboundResult | None]] = []
        for message, key, message_id in keyed:
            row = rows.get(key)
            if row is not None:
                earlier = _result(row, duplicate=True) if row.outcome is not None else None
                stored.append((row, earlier))  # no outcome: stored before a crash, acted on now
                continue
            id_key = message_id_key(message_id)
            earlier_row = first_with.get(id_key) if id_key else None
            if isinstance(earlier_row, InboundMessage):  # earlier in this batch: its id
                session.flush()
                earlier_row = earlier_row.id
            if earlier_row is not None:
                log.warning(
                    "inbound: Message-ID reused by a different message (earlier #%s)", earlier_row
                )
            row = rows[key] = InboundMessage(
                dedupe_key=key,
                message_id=message_id,
                message_id_key=id_key,
                collides_with_id=earlier_row,
                folder=message.folder,
                uidvalidity=message.uidvalidity,
                uid=message.uid,
                size=message.size,
                raw=message.raw,
                received_at=now,
            )
            session.add(row)
            if id_key:
                first_with.setdefault(id_key, row)
            stored.append((row, None))
        work.commit()
        return [(row.id, earlier) for row, earlier in stored]


def receive_many(
    uow_factory: Callable[[], UnitOfWork], messages: Sequence[Incoming], *, now: datetime
) -> list[InboundResult]:
    """Steps 1-3 for a batch (the poller's): all stored and committed, then each decided
    in a savepoint of one transaction. Two commits a batch instead of two a message; what
    one message does is still all or nothing, and an internal error in one is that
    message's outcome, not its neighbours'."""
    stored = store_many(uow_factory, messages, now=now)
    waiting = list(dict.fromkeys(inbound_id for inbound_id, earlier in stored if earlier is None))
    results = process_many(uow_factory, waiting, now=now) if waiting else {}
    seen: set[int] = set()
    answers = []
    for inbound_id, earlier in stored:
        result = earlier or results[inbound_id]
        if earlier is None and inbound_id in seen:  # the same message twice in the batch
            result = replace(result, duplicate=True)
        seen.add(inbound_id)
        answers.append(result)
    return answers


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
    message = Incoming.of(raw, folder=folder, uidvalidity=uidvalidity, uid=uid)
    return receive_many(uow_factory, [message], now=now)[0]


def _finish(
    row: InboundMessage, outcome: InboundOutcome, reason: str, detail: str, now: datetime
) -> None:
    row.outcome, row.reason, row.detail, row.processed_at = outcome.value, reason, detail, now


def process_many(
    uow_factory: Callable[[], UnitOfWork], inbound_ids: Sequence[int], *, now: datetime
) -> dict[int, InboundResult]:
    """Steps 2-3 for stored messages, in one transaction. First without a savepoint a
    message (each costs two flushes, about a quarter of the time); should anything in that
    pass fail, it is rolled back whole and the batch done again with them, so a failure is
    that message's outcome alone. Should that transaction fail for a reason other than the
    database going away, each message is tried on its own."""
    try:
        try:
            results, accepted = _act_on(uow_factory, inbound_ids, now, savepoints=False)
        except NeedsSavepoints as failed:
            log.info("inbound: a batch is acted on again, a savepoint a message (%s)", failed)
            results, accepted = _act_on(uow_factory, inbound_ids, now, savepoints=True)
    except (OperationalError, InterfaceError):
        # The database went away (restart, network): not these messages' fault. They stay
        # stored without an outcome and in the inbox; the next poll processes them.
        raise
    except Exception as exc:
        if len(inbound_ids) > 1:
            log.warning("inbound: a batch failed to commit (%s); one by one", type(exc).__name__)
            return {
                i: r
                for one in inbound_ids
                for i, r in process_many(uow_factory, [one], now=now).items()
            }
        return {inbound_ids[0]: _record_error(uow_factory, inbound_ids[0], exc, now)}
    for case_id in accepted:
        _issue_accepted(uow_factory, case_id, now)
    return results


def _act_on(
    uow_factory: Callable[[], UnitOfWork],
    inbound_ids: Sequence[int],
    now: datetime,
    *,
    savepoints: bool,
) -> tuple[dict[int, InboundResult], list[int]]:
    """One pass over the batch and its commit: the results and the accepted proofs' cases."""
    accepted: list[int] = []
    with uow_factory() as work:
        ctx = ServiceContext.of(work, now, savepoints=savepoints)
        with nullcontext() if savepoints else failures_undo_the_pass():  # the commit too
            rows = work.session.scalars(
                select(InboundMessage).where(InboundMessage.id.in_(inbound_ids))
            )
            by_id = {row.id: row for row in rows}
            parsed = {
                row.id: parse(ctx, row)
                for row in by_id.values()
                if row.outcome is None and row.raw is not None
            }
            read_ahead(ctx, [p for p in parsed.values() if isinstance(p, ParsedMessage)])
            results = {}
            for inbound_id in inbound_ids:
                row = by_id[inbound_id]
                message_ctx = ServiceContext.of(work, now, savepoints=savepoints)
                results[inbound_id] = _process(message_ctx, row, accepted, parsed.get(inbound_id))
            work.commit()
    return results, accepted


def _process(
    ctx: ServiceContext,
    row: InboundMessage,
    accepted: list[int],
    parsed: ParsedMessage | Exception | None,
) -> InboundResult:
    """One message, all or nothing: its effects and its outcome, or its error."""
    now = ctx.now
    if row.outcome is not None:
        return _result(row, duplicate=True)
    if parsed is None:  # over the size cap: never downloaded, recorded from its size
        limit = ctx.settings.max_message_bytes
        _finish(
            row, InboundOutcome.REFUSED, "too_large", f"{row.size} bytes; the limit is {limit}", now
        )
        return _result(row)
    try:
        with ctx.all_or_nothing():
            verdict = decide(ctx, row, parsed)
            row.case_id = verdict.case_id
            row.from_address = verdict.sender
            row.subject = verdict.subject
            _finish(row, verdict.outcome, verdict.reason, verdict.detail, now)
    except (OperationalError, InterfaceError, NeedsSavepoints):
        raise
    except Exception as exc:
        log.exception("inbound message %s: internal error (%s)", row.id, type(exc).__name__)
        _finish(row, InboundOutcome.ERROR, "internal_error", type(exc).__name__, now)
        ctx.session.flush()  # flushed now: a later message's expire_all() cannot undo it
        return _result(row)
    if verdict.case_id is not None and verdict.reason.partition(" ")[0] == ACCEPTED:
        accepted.append(verdict.case_id)
    return _result(row)  # before the commit: after it, reading the case is another transaction


def _record_error(
    uow_factory: Callable[[], UnitOfWork], inbound_id: int, exc: Exception, now: datetime
) -> InboundResult:
    """A message whose transaction failed even on its own: its outcome is our error."""
    log.error("inbound message %s: internal error (%s)", inbound_id, type(exc).__name__)
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
