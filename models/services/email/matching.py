"""Which case and reply token a message is about: plus-address, thread, subject tag."""

from __future__ import annotations

import re
from mailbox.addresses import split_plus
from mailbox.parse import ParsedMessage, parse_message

from sqlalchemy import select

from models.cases import Case
from models.enums import CaseKind
from models.messages import OutboxMessage, ReplyToken
from models.services.context import ServiceContext, transaction_cache
from models.services.tokens import find_token as find_reply_token

# Every case kind's reference (PA-, PR-, AR-, OP-2026-00042) in a [REF] subject tag.
SUBJECT_TAG = re.compile(rf"\[((?:{'|'.join(k.prefix for k in CaseKind)})-\d{{4}}-\d{{5}})\]")
# A batch's In-Reply-To (one of our emails' Message-ID) -> that email's case, read ahead
# (batch_reads.py).
REPLIED_TO = "replied_to_cases"


def parse_stored(ctx: ServiceContext, raw: bytes) -> ParsedMessage:
    """A stored message parsed within the configured size limits (raises MessageRejected)."""
    s = ctx.settings
    return parse_message(
        raw,
        max_bytes=s.max_message_bytes,
        max_attachment_bytes=s.max_attachment_bytes,
        max_total_attachment_bytes=s.max_attachments_total_bytes,
    )


def reply_tags(ctx: ServiceContext, parsed: ParsedMessage) -> list[str]:
    """The tags of our plus-addresses among the recipients (`pdu+TAG@…`), each once."""
    ours = ctx.settings.mail_address.lower()
    tags = (split_plus(address) for address in parsed.recipients)
    return list(dict.fromkeys(tag for base, tag in tags if base == ours and tag))


def find_token(
    ctx: ServiceContext, parsed: ParsedMessage
) -> tuple[ReplyToken | None, str | None, bool]:
    """Plus-address first, then In-Reply-To/References, then the subject tag."""
    s = ctx.settings
    problem = None
    for tag in reply_tags(ctx, parsed):
        found = find_reply_token(ctx.session, tag, s.keys, ctx.now)
        if found.token is not None:
            return found.token, found.problem, False
        problem = found.problem
    references = [r for r in [parsed.in_reply_to, *parsed.references] if r]
    if references:
        token_id = ctx.session.scalar(
            select(OutboxMessage.token_id)
            .where(OutboxMessage.message_id.in_(references), OutboxMessage.token_id.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
        if token_id is not None:
            token = ctx.session.get(ReplyToken, token_id)
            if token is not None:
                expired = token.expires_at <= ctx.now
                return token, "token_expired" if expired else None, False
    match = SUBJECT_TAG.search(parsed.subject or "")
    if match and parsed.from_address:
        token = ctx.session.scalar(
            select(ReplyToken)
            .join(Case, Case.id == ReplyToken.case_id)
            .where(
                Case.reference == match.group(1),
                ReplyToken.recipient == parsed.from_address,
                ReplyToken.used_at.is_(None),
                ReplyToken.expires_at > ctx.now,
            )
            .order_by(ReplyToken.id.desc())
            .limit(1)
        )
        if token is not None:
            return token, None, True  # a guessable reference: an answer at most
    return None, problem, False


def other_case_named(ctx: ServiceContext, parsed: ParsedMessage, case: Case) -> str | None:
    """The reference of another case the subject tag or In-Reply-To names, if any."""
    match = SUBJECT_TAG.search(parsed.subject or "")
    if match and match.group(1) != case.reference:
        return match.group(1)
    if parsed.in_reply_to:
        read: dict[str, int | None] = transaction_cache(ctx.session).get(REPLIED_TO, {})
        other_id = read.get(parsed.in_reply_to) or ctx.session.scalar(
            select(OutboxMessage.case_id).where(OutboxMessage.message_id == parsed.in_reply_to)
        )
        if other_id is not None and other_id != case.id:
            other = ctx.session.get(Case, other_id)
            return other.reference if other else None
    return None
