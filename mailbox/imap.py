"""The IMAP side of the gateway (imapclient): list new messages by UID, fetch without
marking them seen, file them into folders, wait with IDLE, purge by header.

Everything is addressed by UID; a UID means something only with its folder's UIDVALIDITY,
which `select` returns for the caller to store.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Collection
from email.parser import BytesHeaderParser
from mailbox.addresses import redact
from mailbox.tls import default_context
from types import TracebackType
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

log = logging.getLogger(__name__)

SECURITY_MODES = ("none", "starttls", "tls")
IDLE_MAX_SECONDS = 600.0  # renew IDLE at least this often: NATs and servers drop idle links
FETCH_BATCH = 500  # UIDs per FETCH, to keep command lines short
_ARRIVALS = {b"EXISTS", b"RECENT"}

T = TypeVar("T")


class ImapConfigError(Exception):
    """The settings cannot work against this server (TLS mode, capabilities): not retried."""


class MessageGone(LookupError):
    """The UID is no longer in the folder (expunged by another client)."""


class ImapMailbox:
    """One authenticated IMAP connection; use as a context manager.

    `disabled_capabilities` makes the adapter behave as if the server lacked them (e.g.
    `{"MOVE"}` forces COPY + \\Deleted + UID EXPUNGE), for tests and for servers whose
    advertised MOVE misbehaves.
    """

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str = "",
        security: str = "none",
        timeout: float = 30.0,
        oauth2_token_provider: Callable[[], str] | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        disabled_capabilities: Collection[str] = (),
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(
                f"IMAP security must be one of {', '.join(SECURITY_MODES)}, not {security!r}"
            )
        self.host, self.port, self.user = host, port, user
        self.password = password
        self.security = security
        self.timeout = timeout
        self.oauth2_token_provider = oauth2_token_provider
        self.ssl_context = ssl_context
        self.disabled = {c.upper() for c in disabled_capabilities}
        self._client: IMAPClient | None = None

    # -- connection --------------------------------------------------------------------

    def connect(self) -> ImapMailbox:
        """Connect and log in (no-op when connected); returns self."""
        if self._client is not None:
            return self
        client = self._open()
        try:
            if self.oauth2_token_provider is not None:
                client.oauth2_login(self.user, self.oauth2_token_provider())
            else:
                client.login(self.user, self.password)
        except BaseException:
            _shutdown(client)
            raise
        log.info("IMAP: logged in as %s at %s:%s", redact(self.user), self.host, self.port)
        self._client = client
        return self

    def _open(self) -> IMAPClient:
        where = f"{self.host}:{self.port}"
        context = self.ssl_context or default_context()
        if self.security == "tls":
            try:
                return IMAPClient(
                    self.host, self.port, ssl=True, ssl_context=context, timeout=self.timeout
                )
            except ssl.SSLCertVerificationError as exc:
                raise ImapConfigError(
                    f"IMAP server at {where}: certificate not trusted ({exc.verify_message})"
                ) from exc
            except ssl.SSLError as exc:
                raise ImapConfigError(
                    f"IMAP TLS handshake with {where} failed ({exc.reason or exc}): if the "
                    "port speaks plain IMAP, use security 'starttls' or 'none'"
                ) from exc
        client = IMAPClient(self.host, self.port, ssl=False, timeout=self.timeout)
        if self.security == "starttls":
            if not client.has_capability("STARTTLS"):
                _shutdown(client)
                raise ImapConfigError(
                    f"IMAP server at {where} does not offer STARTTLS: use security 'tls' "
                    "for an implicit-TLS port, or 'none'"
                )
            try:
                client.starttls(context)
            except (ssl.SSLError, IMAPClientError) as exc:
                _shutdown(client)
                raise ImapConfigError(f"IMAP STARTTLS with {where} failed: {exc}") from exc
        return client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except (OSError, IMAPClientError):  # the link is already gone: nothing to say goodbye to
            _shutdown(client)

    def __enter__(self) -> ImapMailbox:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("ImapMailbox is not connected: use it as a context manager")
        return self._client

    def has(self, capability: str) -> bool:
        return capability.upper() not in self.disabled and self.client.has_capability(capability)

    # -- folders -----------------------------------------------------------------------

    def select(self, folder: str) -> int:
        """Select `folder` read-write; returns its UIDVALIDITY."""
        info = self.client.select_folder(folder)
        return int(info[b"UIDVALIDITY"])

    def ensure_folders(self, *names: str) -> None:
        for name in names:
            if self.client.folder_exists(name):
                continue
            try:
                self.client.create_folder(name)
            except IMAPClientError:
                if not self.client.folder_exists(name):  # else another client just made it
                    raise
            log.info("IMAP: created folder %s", name)

    # -- messages ----------------------------------------------------------------------

    def pending(self, after_uid: int = 0, limit: int | None = None) -> list[tuple[int, int]]:
        """(UID, RFC822.SIZE) of the selected folder's messages above `after_uid`, in order;
        the first `limit` of them (sizes are fetched for those only: a poll reading 25 of a
        backlog of thousands asks for 25 sizes).

        The size comes before any download, so an oversized message is never fetched.
        Messages flagged \\Deleted (a COPY fallback interrupted before EXPUNGE) are
        already filed, so they are left out.
        """
        found = self.client.search(["UID", f"{after_uid + 1}:*", "NOT", "DELETED"])
        # `n:*` always matches the highest UID, even when it is below n.
        uids = sorted(uid for uid in found if uid > after_uid)[:limit]
        sizes: dict[int, int] = {}
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            for uid, data in self.client.fetch(batch, ["RFC822.SIZE"]).items():
                sizes[uid] = int(data[b"RFC822.SIZE"])
        return [(uid, sizes[uid]) for uid in uids if uid in sizes]

    def fetch(self, uid: int) -> bytes:
        """The raw message; BODY.PEEK[] leaves \\Seen alone."""
        data = self.client.fetch([uid], ["BODY.PEEK[]"])
        if uid not in data or b"BODY[]" not in data[uid]:
            raise MessageGone(f"UID {uid} is not in the selected folder")
        return bytes(data[uid][b"BODY[]"])

    def move(self, uids: list[int], folder: str) -> None:
        """File messages into `folder` in one command: MOVE, else COPY + \\Deleted +
        (UID) EXPUNGE."""
        if not uids:
            return
        if self.has("MOVE"):
            self.client.move(uids, folder)
            return
        self.client.copy(uids, folder)
        self._expunge(uids)

    def delete_matching(self, folder: str, header: str, value: str) -> int:
        """Expunge every message in `folder` whose `header` equals `value`; returns the count.

        SEARCH HEADER matches substrings, so each hit is checked exactly before deletion.
        Leaves `folder` selected.
        """
        if not self.client.folder_exists(folder):
            return 0
        self.client.select_folder(folder)
        candidates = self.client.search(["HEADER", header, value])
        if not candidates:
            return 0
        wanted = value.strip()
        matching = []
        fetched = self.client.fetch(candidates, [f"BODY.PEEK[HEADER.FIELDS ({header})]"])
        for uid, data in fetched.items():
            # The server echoes the section name in its own spelling: take it as given.
            raw = b"".join(bytes(v) for k, v in data.items() if k.startswith(b"BODY["))
            headers = BytesHeaderParser().parsebytes(raw)
            if any(str(v).strip() == wanted for v in headers.get_all(header, [])):
                matching.append(uid)
        if matching:
            self._expunge(matching)
            log.info("IMAP: purged %d message(s) from %s", len(matching), folder)
        return len(matching)

    def _expunge(self, uids: list[int]) -> None:
        self.client.delete_messages(uids)
        if self.has("UIDPLUS"):
            self.client.uid_expunge(uids)
        else:
            # Plain EXPUNGE also removes other \Deleted messages: RFC 3501 offers no narrower way.
            self.client.expunge()

    # -- waiting -----------------------------------------------------------------------

    def idle_wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds (at most 10 minutes) for new mail in the selected
        folder; returns whether any arrived. Callers loop, renewing IDLE each time.
        """
        timeout = min(timeout, IDLE_MAX_SECONDS)
        if not self.has("IDLE"):
            time.sleep(timeout)
            responses = self.client.noop()[1]
        else:
            self.client.idle()
            try:
                responses = self.client.idle_check(timeout)
            except BaseException:  # SIGTERM, a dropped link: leave IDLE if the link allows,
                try:  # so that the LOGOUT that follows is answered (in IDLE it waited for
                    self.client.idle_done()  # the whole timeout)
                except Exception:
                    log.debug("IMAP: could not leave IDLE", exc_info=True)
                raise
            responses += self.client.idle_done()[1]
        return any(
            isinstance(r, tuple) and len(r) > 1 and r[1] in _ARRIVALS and r[0] for r in responses
        )


def connect_with_backoff(
    factory: Callable[[], T],
    attempts: int = 5,
    base_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    max_delay: float = 60.0,
) -> T:
    """Call `factory` until it returns, waiting base_delay, 2x, 4x... (capped) in between.

    Retries network and server errors only: a rejected login or an impossible TLS setting
    will not fix itself, so those are raised at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            return factory()
        except (LoginError, ImapConfigError):
            raise
        except (OSError, IMAPClientError) as exc:
            if attempt == attempts:
                raise
            delay = min(base_delay * 2 ** (attempt - 1), max_delay)
            log.warning(
                "IMAP: attempt %d/%d failed (%s); retrying in %.1f s",
                attempt,
                attempts,
                type(exc).__name__,
                delay,
            )
            sleep(delay)
    raise ValueError("attempts must be at least 1")


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except OSError:
        pass
    except Exception:  # imaplib may raise its own errors on a half-open socket
        log.debug("IMAP: error while dropping a connection", exc_info=True)
