"""What a poll's batch reads once before acting on its messages: their reply tokens, the
tokens' cases with what acting on a reply reads (applicant, tasks, assignees), and the
cases their In-Reply-To names. Three queries a batch instead of four a message.

Each message then finds these in the transaction's cache (models/services/context.py),
which is forgotten when any part of the transaction is rolled back; what is not found
there (a token issued earlier in the same batch) is read as before. The rows are the
session's own objects, so what an earlier message changed is what a later one sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from mailbox.parse import ParsedMessage

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from models.cases import Case, ReviewTask
from models.messages import OutboxMessage, ReplyToken
from models.services import tokens
from models.services.context import ServiceContext, transaction_cache
from models.services.email.matching import REPLIED_TO, reply_tags

# What acting on a reply reads anyway: two queries instead of four lazy loads.
CASE_FOR_A_REPLY: tuple[ORMOption, ...] = (
    joinedload(Case.applicant),
    selectinload(Case.tasks).joinedload(ReviewTask.assignee),
)
_CASES = "reply_cases"  # held here: the session's identity map keeps its objects weakly


def read_ahead(ctx: ServiceContext, messages: Sequence[ParsedMessage]) -> None:
    keys = ctx.settings.keys
    hashes = {
        h
        for parsed in messages
        for tag in reply_tags(ctx, parsed)
        for h in tokens.token_hashes(tag, keys)
    }
    found = (
        ctx.session.scalars(select(ReplyToken).where(ReplyToken.token_hash.in_(hashes))).all()
        if hashes
        else []
    )
    case_ids = {token.case_id for token in found}
    cases = (
        ctx.session.scalars(select(Case).where(Case.id.in_(case_ids)).options(*CASE_FOR_A_REPLY))
        .unique()
        .all()
        if case_ids
        else []
    )
    replied_to = {parsed.in_reply_to for parsed in messages if parsed.in_reply_to}
    outbox_cases = (
        ctx.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.case_id).where(
                OutboxMessage.message_id.in_(replied_to)
            )
        ).all()
        if replied_to
        else []
    )
    cache = transaction_cache(ctx.session)
    cache[tokens.READ_AHEAD] = {token.token_hash: token for token in found}
    cache[_CASES] = cases
    cache[REPLIED_TO] = {message_id: case_id for message_id, case_id in outbox_cases}
