"""Every mapped class, imported once so the metadata is complete (Alembic, create_all)."""

from models.accounts import ProviderAccount
from models.base import Base
from models.batches import IssuanceBatch
from models.cases import Case, ReferenceCounter, ReviewTask, ScheduleBasis, TimelineEntry
from models.certificates import Certificate
from models.email_changes import EmailChange
from models.events import Attendee, EventRevision, ProviderEvent
from models.messages import (
    Attachment,
    ErrorReply,
    InboundMessage,
    MailboxState,
    OutboxMessage,
    ReplyToken,
)
from models.opportunities import Opportunity
from models.people import OfficeClosure, Person, Staff
from models.providers import Provider, ProviderHistory
from models.sign_in_links import SignInLink
from models.sign_ins import SignInFailure
from models.tombstones import PurgeRun, Tombstone
from models.web_sessions import WebSession

__all__ = [
    "Attachment",
    "Attendee",
    "Base",
    "Case",
    "Certificate",
    "EmailChange",
    "ErrorReply",
    "EventRevision",
    "InboundMessage",
    "IssuanceBatch",
    "MailboxState",
    "OfficeClosure",
    "Opportunity",
    "OutboxMessage",
    "Person",
    "Provider",
    "ProviderAccount",
    "ProviderEvent",
    "ProviderHistory",
    "PurgeRun",
    "ReferenceCounter",
    "ReplyToken",
    "ReviewTask",
    "ScheduleBasis",
    "SignInFailure",
    "SignInLink",
    "Staff",
    "TimelineEntry",
    "Tombstone",
    "WebSession",
]
