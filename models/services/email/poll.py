"""One poll cycle: every message in the inbox is stored, decided, then filed.

Messages leave the inbox only after their outcome is committed, so the inbox holds
exactly the unfinished work: a crash at any point is repaired by the next cycle (a stored
message is recognised by its key and only filed, never applied again).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models.db import rows_changed
from models.messages import InboundMessage, MailboxState
from models.services.email.receive import (
    InboundResult,
    Incoming,
    log_outcome,
    receive_many,
)
from models.uow import UnitOfWork

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
_HOST = socket.gethostname()[:60]  # locked_by holds 100 characters


class Mailbox(Protocol):
    def ensure_folders(self, *names: str) -> None: ...
    def select(self, folder: str) -> int: ...
    def pending(self, after_uid: int, limit: int | None = None) -> list[tuple[int, int]]: ...
    def fetch(self, uid: int) -> bytes: ...
    def move(self, uids: list[int], folder: str) -> None: ...


@dataclass
class PollReport:
    seen: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    skipped_locked: bool = False

    def add(self, result: InboundResult) -> None:
        self.seen += 1
        key = "duplicate" if result.duplicate else result.outcome.value
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


class PollerBusy(Exception):
    """Another poller holds the lease on this folder."""


def _ensure_state(uow_factory: Callable[[], UnitOfWork], folder: str, uidvalidity: int) -> None:
    """The folder's row, created by the first poller ever (two at once: one wins)."""
    with uow_factory() as work:
        if work.session.scalar(select(MailboxState.id).where(MailboxState.folder == folder)):
            return
        work.session.add(MailboxState(folder=folder, uidvalidity=uidvalidity, last_uid=0))
        try:
            work.commit()
        except IntegrityError:  # another poller created it meanwhile: theirs will do
            work.rollback()


def poller_id() -> str:
    """Who holds a lease: host and process, so that a successor on the same host can tell
    a live poller from one that was killed (SIGKILL leaves no chance to release)."""
    return f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def _dead_on_this_host(holder: str | None) -> bool:
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != _HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _acquire(
    uow_factory: Callable[[], UnitOfWork], folder: str, me: str, now: datetime, uidvalidity: int
) -> None:
    """Take the folder's lease: a compare-and-set UPDATE (SQLite and PostgreSQL), after
    `FOR UPDATE SKIP LOCKED` on PostgreSQL, so a poller meeting another one that is taking
    the lease at this very moment gives up at once instead of waiting for its commit."""
    _ensure_state(uow_factory, folder, uidvalidity)
    with uow_factory() as work:
        row = work.session.execute(
            select(MailboxState.id, MailboxState.locked_by)
            .where(MailboxState.folder == folder)
            .with_for_update(skip_locked=True)
        ).first()
        free = (
            (MailboxState.locked_until.is_(None))
            | (MailboxState.locked_until < now)
            | (MailboxState.locked_by == me)
        )
        if row is not None and _dead_on_this_host(row.locked_by):
            free = free | (MailboxState.locked_by == row.locked_by)
        won = row is not None and (
            rows_changed(
                work.session,
                update(MailboxState)
                .where(MailboxState.id == row.id, free)
                .values(locked_by=me, locked_until=now + LEASE),
            )
            == 1
        )
        work.commit()
    if not won:
        raise PollerBusy(folder)


def _release(uow_factory: Callable[[], UnitOfWork], folder: str, me: str) -> None:
    with uow_factory() as work:
        work.session.execute(
            update(MailboxState)
            .where(MailboxState.folder == folder, MailboxState.locked_by == me)
            .values(locked_by=None, locked_until=None)
        )
        work.commit()


FILE_BATCH = 25  # messages stored, acted on and filed together: three transactions, one MOVE
BATCH_BYTES = 32 * 2**20  # and at most this much of them in memory at once


def batches(
    pending: list[tuple[int, int]],
    *,
    max_message_bytes: int,
    count: int = FILE_BATCH,
    max_bytes: int = BATCH_BYTES,
) -> Iterator[list[tuple[int, int]]]:
    """The (UID, size) list in order, cut into batches of at most `count` messages and
    `max_bytes` to download (a message over the size cap is never downloaded; one larger
    than `max_bytes` alone is a batch of its own)."""
    batch: list[tuple[int, int]] = []
    total = 0
    for uid, size in pending:
        download = size if size <= max_message_bytes else 0
        if batch and (len(batch) == count or total + download > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append((uid, size))
        total += download
    if batch:
        yield batch


def _fetch(
    imap: Mailbox, sizes: list[tuple[int, int]], folder: str, uidvalidity: int, max_bytes: int
) -> list[Incoming]:
    """The batch's messages: downloaded, or over the size cap and known by their size."""
    found = []
    for uid, size in sizes:
        if size > max_bytes:  # never downloaded
            found.append(Incoming(None, size, folder, uidvalidity, uid))
            continue
        try:
            found.append(
                Incoming.of(imap.fetch(uid), folder=folder, uidvalidity=uidvalidity, uid=uid)
            )
        except LookupError:  # expunged meanwhile by another client: not ours now
            log.warning("UID %s vanished from %s before it was read", uid, folder)
    return found


def _file(
    uow_factory: Callable[[], UnitOfWork],
    imap: Mailbox,
    folder: str,
    uidvalidity: int,
    done: list[tuple[int, int, str]],
    now: datetime,
) -> None:
    """File processed messages, (UID, inbound id, target folder) each. Recorded first:
    killed between the two, the messages are still in the inbox and the next poll files
    them again (recognised as handled, never applied twice); the other order could leave a
    filed message recorded as never filed, with nothing left to repair it."""
    if not done:
        return
    targets = sorted({target for _, _, target in done})
    with uow_factory() as work:
        for target in targets:
            ids = [inbound_id for _, inbound_id, to in done if to == target]
            work.session.execute(
                update(InboundMessage).where(InboundMessage.id.in_(ids)).values(filed_to=target)
            )
        state = work.session.scalar(select(MailboxState).where(MailboxState.folder == folder))
        assert state is not None
        if state.uidvalidity != uidvalidity:
            log.warning("UIDVALIDITY of %s changed: rescanning, relying on de-duplication", folder)
            state.uidvalidity, state.last_uid = uidvalidity, 0
        state.last_uid = max(state.last_uid, *(uid for uid, _, _ in done))
        state.last_poll_at = now
        work.commit()
    for target in targets:
        imap.move([uid for uid, _, to in done if to == target], target)


def poll_once(
    uow_factory: Callable[[], UnitOfWork],
    open_mailbox: Callable[[], AbstractContextManager[Any]],
    now: Callable[[], datetime],
    *,
    limit: int | None = None,
) -> PollReport:
    report = PollReport()
    me = poller_id()
    with uow_factory() as work:
        s = work.settings
    with open_mailbox() as imap:
        imap.ensure_folders(s.imap_processed_folder, s.imap_quarantine_folder)
        uidvalidity = imap.select(s.imap_folder)
        try:
            _acquire(uow_factory, s.imap_folder, me, now(), uidvalidity)
        except PollerBusy:
            report.skipped_locked = True
            return report
        try:
            pending = imap.pending(0, limit)
            for sizes in batches(pending, max_message_bytes=s.max_message_bytes):
                batch = _fetch(imap, sizes, s.imap_folder, uidvalidity, s.max_message_bytes)
                if not batch:
                    continue
                done: list[tuple[int, int, str]] = []
                for message, result in zip(
                    batch, receive_many(uow_factory, batch, now=now()), strict=True
                ):
                    processed = result.folder_is_processed
                    target = s.imap_processed_folder if processed else s.imap_quarantine_folder
                    assert message.uid is not None
                    done.append((message.uid, result.inbound_id, target))
                    log_outcome(result, None)
                    report.add(result)
                _file(uow_factory, imap, s.imap_folder, uidvalidity, done, now())
        finally:
            _release(uow_factory, s.imap_folder, me)
    return report
