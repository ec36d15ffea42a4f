"""Messages that must not be acted on or answered: our own, bounces, robots, lists.

Answering any of these risks a mail loop or backscatter (RFC 3834). Signals are the
headers robots set; the subject is only a last, conservative resort for auto-replies
that set none (it must start with the phrase). `X-Auto-Response-Suppress` is not a
signal: Exchange puts it on ordinary human mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from mailbox.addresses import normalize, split_plus
from mailbox.parse import ParsedMessage

_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply", "auto-reply"}
# Local parts that say "nobody reads replies here" (before any +tag, dots and dashes ignored).
_NO_REPLY = re.compile(r"^(?:no|do[-_.]?not|dont)[-_.]?reply|^noreply|^no[-_.]?response|^bounces?$")
# Subjects of mail systems' bounces that carry no multipart/report (Postfix, Exim, qmail…).
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undelivered mail returned to sender|undeliver(?:able|ed)\b|mail delivery failed"
    r"|delivery status notification \(failure\)|returned mail\b|failure notice"
    r"|delivery failure|mail delivery (?:system|subsystem))",
    re.IGNORECASE,
)
# `<jane@school.example>: host … said: 550 …`, how Postfix and Exim name a failed recipient.
_FAILED_LINE = re.compile(r"^\s*<([^<>\s@]+@[^<>\s]+)>:?\s", re.MULTILINE)
# "Jane Doe via PD List" <list@…>: a list (Google Groups, Mailman's DMARC mitigation) wrote
# its own address over the author's.
_VIA_LIST = re.compile(r"\svia\s", re.IGNORECASE)
_NEGATIVE = {"", "no", "false", "0"}
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto[- ]?reply|auto[- ]?response|autosvar|out of (?:the )?office"
    r"|abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática"
    r"|risposta automatica|automatisch antwoord|automaattinen vastaus|odpowiedź automatyczna"
    r"|resposta automática|автоматический ответ)\b",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*dmarc\s*=\s*(\w+)(.*)$", re.IGNORECASE | re.DOTALL)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*([^\s;]+)", re.IGNORECASE)


class Reason(StrEnum):
    BOUNCE = "bounce"
    AUTO_GENERATED = "auto_generated"
    MAILING_LIST = "mailing_list"
    LOOP = "loop"


@dataclass(frozen=True)
class Classification:
    reason: Reason
    detail: str  # which signal, for the audit trail
    failed_recipients: tuple[str, ...] = ()  # bounces: addresses that could not be reached
    auto_reply: bool = False  # a person's responder (out of office), not a system's report


def classify(
    parsed: ParsedMessage, *, own_addresses: set[str], loop_header_value: str
) -> Classification | None:
    """Why `parsed` must not be acted on, or None when it may be."""
    # Most specific first: a list's robots also say Precedence: list.
    return (
        _loop(parsed, own_addresses, loop_header_value)
        or _bounce(parsed)
        or _mailing_list(parsed)
        or _automatic(parsed)
        or _no_reply(parsed)
    )


def _loop(parsed: ParsedMessage, own: set[str], loop_value: str) -> Classification | None:
    for value in parsed.loop:
        if value.strip().lower() == loop_value.strip().lower():
            return Classification(Reason.LOOP, "our loop header")
    if parsed.from_address:
        ours = {split_plus(address)[0] for address in own}
        if split_plus(parsed.from_address)[0] in ours:
            return Classification(Reason.LOOP, "sent from our own address")
    return None


def _bounce(parsed: ParsedMessage) -> Classification | None:
    is_report = parsed.content_type == "multipart/report" and (
        parsed.report_type in ("delivery-status", "global-delivery-status")
    )
    from_daemon = _is_daemon(parsed.from_address) or _is_daemon(
        parsed.raw_from.strip().split(" ")[0].strip("<>").lower() if parsed.raw_from else None
    )
    if is_report or (from_daemon and parsed.delivery_status):
        detail = "delivery status report" if is_report else "from the mail system"
        return Classification(Reason.BOUNCE, detail, failed_recipients(parsed.delivery_status))
    null_path = (parsed.return_path or "").strip() == "<>"
    if (from_daemon or null_path) and _BOUNCE_SUBJECT.match(parsed.subject):
        # A bounce written as plain text: the failed recipients are the <address>: lines.
        failed = tuple(dict.fromkeys(normalize(a) for a in _FAILED_LINE.findall(parsed.text)))
        return Classification(Reason.BOUNCE, "bounce without a delivery report", failed)
    return None


def _automatic(parsed: ParsedMessage) -> Classification | None:
    auto_submitted = (parsed.auto_submitted or "").partition(";")[0].strip().lower()
    if auto_submitted not in _NEGATIVE:
        return _auto(f"Auto-Submitted: {auto_submitted}", auto_submitted == "auto-replied")
    precedence = (parsed.precedence or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return _auto(f"Precedence: {precedence}", precedence.startswith("auto"))
    robot_headers = {"X-Autoreply": parsed.x_autoreply, "X-Autorespond": parsed.x_autorespond}
    for name, value in robot_headers.items():
        if value is not None and value.strip().lower() not in {"no", "false", "0"}:
            return _auto(f"{name} header", auto_reply=True)
    if parsed.loop:
        return _auto("another PDU system's loop header")
    if parsed.content_type == "multipart/report":
        return _auto(f"report ({parsed.report_type or 'unknown type'})")  # e.g. read receipts
    if _is_daemon(parsed.from_address):
        return _auto("from the mail system")
    if (parsed.return_path or "").strip() == "<>":
        return _auto("null return path")
    if _AUTO_SUBJECT.match(parsed.subject):
        return _auto("auto-reply subject", auto_reply=True)
    return None


def _mailing_list(parsed: ParsedMessage) -> Classification | None:
    signals = {
        "List-Id header": parsed.list_id,
        "List-Unsubscribe header": parsed.list_unsubscribe,
        "List-Post header": parsed.list_post,
        "X-Mailman-Version header": parsed.x_mailman_version,
    }
    for detail, value in signals.items():
        if value is not None:
            return Classification(Reason.MAILING_LIST, detail)
    if (parsed.precedence or "").strip().lower() == "list":
        return Classification(Reason.MAILING_LIST, "Precedence: list")
    if _VIA_LIST.search(parsed.from_display) and (parsed.reply_to or parsed.x_original_from):
        return Classification(Reason.MAILING_LIST, "From rewritten by a list")
    return None


def _no_reply(parsed: ParsedMessage) -> Classification | None:
    """A sender that says nobody reads replies: never answered (its robot may answer back)."""
    if parsed.from_address and is_no_reply(parsed.from_address):
        return _auto("no-reply sender")
    return None


def is_no_reply(address: str) -> bool:
    local = split_plus(address.lower())[0].partition("@")[0]
    return bool(_NO_REPLY.match(local))


def _auto(detail: str, auto_reply: bool = False) -> Classification:
    return Classification(Reason.AUTO_GENERATED, detail, auto_reply=auto_reply)


def _is_daemon(address: str | None) -> bool:
    return address is not None and address.partition("@")[0] in _DAEMONS


def failed_recipients(delivery_status: str) -> tuple[str, ...]:
    """The recipients of each per-recipient block whose Action is failed (RFC 3464): the
    Original-Recipient (the address we wrote to) when given, then the Final-Recipient (which
    a forwarder or catch-all may have rewritten)."""
    found: dict[str, None] = {}
    for block in re.split(r"\n\s*\n", delivery_status):
        fields = _fields(block)
        action = fields.get("action", "").lower()
        status = fields.get("status", "")
        if not (action == "failed" or (not action and status.startswith("5"))):
            continue
        for name in ("original-recipient", "final-recipient"):
            recipient = fields.get(name, "")
            address = normalize(recipient.partition(";")[2] or recipient)
            if "@" in address:
                found.setdefault(address, None)
    return tuple(found)


def _fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.split("\n"):
        name, colon, value = line.partition(":")
        if colon and name.strip() and not name[:1].isspace():
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def dmarc_pass(parsed: ParsedMessage, trusted_authserv_id: str) -> bool:
    """True only when OUR receiving server's Authentication-Results says dmarc=pass.

    Anyone can write an Authentication-Results header; only the topmost one carrying the
    trusted authserv-id was added by our infrastructure (RFC 8601 §5: it must remove
    such fields arriving from outside; where it does not, a forged copy sits below ours).
    When the result names the From domain (`header.from=`), it must be ours.
    """
    trusted = trusted_authserv_id.strip().lower()
    for value in parsed.authentication_results:
        authserv_id, results = _split_results(value)
        if authserv_id != trusted:
            continue
        return _says_dmarc_pass(results, parsed.from_address)
    return False


def _split_results(value: str) -> tuple[str, list[str]]:
    text = value
    for _ in range(5):  # nested comments, innermost first
        text = _COMMENT.sub(" ", text)
    head, *results = text.split(";")
    authserv_id = head.strip().split()[0].lower() if head.strip() else ""
    return authserv_id, results


def _says_dmarc_pass(results: list[str], from_address: str | None) -> bool:
    for result in results:
        match = _RESULT.match(result)
        if match is None:
            continue
        if match.group(1).lower() != "pass":
            return False
        header_from = _HEADER_FROM.search(match.group(2))
        if header_from and from_address:
            return header_from.group(1).lower().strip('"') == from_address.partition("@")[2]
        return True
    return False
