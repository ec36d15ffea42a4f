"""Every mapped class, imported once so the metadata is complete (Alembic, create_all)."""

from models.accounts import ProviderAccount
from models.base import Base
from models.cases import Case, ReferenceCounter, ReviewTask, TimelineEntry
from models.certificates import Certificate
from models.events import Attendee, ProviderEvent
from models.messages import (
    Attachment,
    ErrorReply,
    InboundMessage,
    MailboxState,
    OutboxMessage,
    ReplyToken,
)
from models.people import OfficeClosure, Person, Staff
from models.providers import Provider, ProviderHistory
from models.sign_ins import SignInFailure
from models.tombstones import PurgeRun, Tombstone
from models.web_sessions import WebSession

__all__ = [
    "Attachment",
    "Attendee",
    "Base",
    "Case",
    "Certificate",
    "ErrorReply",
    "InboundMessage",
    "MailboxState",
    "OfficeClosure",
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
    "SignInFailure",
    "Staff",
    "TimelineEntry",
    "Tombstone",
    "WebSession",
]
