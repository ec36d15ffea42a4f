"""What handling one inbound message came to: recorded on its row by `receive`."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import InboundOutcome


@dataclass(frozen=True)
class Handled:
    outcome: InboundOutcome
    reason: str
    detail: str = ""
    case_id: int | None = None
    sender: str | None = None
    subject: str | None = None
