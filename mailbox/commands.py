"""The command grammar of email replies: the first non-blank line of the new text.

    APPROVE [hours]      DENY <reason>      INFO <question>      REASSIGN <email>
    ACCEPT               REJECT <reason>    WITHDRAW             CONFIRM

Case-insensitive, tolerant of surrounding `*` (bold in plain-text renderings), spaces,
a colon after the verb and trailing punctuation. Verbs without an argument must stand
alone on their line: "Withdraw the second session from the agenda" is an answer, not a
withdrawal. The lines after the command are its comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from mailbox.addresses import is_valid, normalize

MAX_HOURS = Decimal(1000)

HELP_TEXT = """\
Reply with one of these commands on the first line of your reply, above the quoted text:

  APPROVE          approve the hours requested
  APPROVE 6.5      approve fewer hours (a number, decimals allowed)
  DENY <reason>    deny, e.g. DENY the activity is a sales presentation
  INFO <question>  ask the applicant a question; the deadline pauses until they answer
  REASSIGN <email> hand the task to another reviewer, e.g. REASSIGN jane.doe@opi.example
  ACCEPT           accept the proof of completion
  REJECT <reason>  reject the proof of completion, e.g. REJECT the certificate is unsigned
  WITHDRAW         (applicants) withdraw the request
  CONFIRM          apply a decision we held because your mail could not be verified

Anything on the lines below the command is kept as your comment."""


class Verb(StrEnum):
    APPROVE = "APPROVE"
    DENY = "DENY"
    INFO = "INFO"
    REASSIGN = "REASSIGN"
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    WITHDRAW = "WITHDRAW"
    CONFIRM = "CONFIRM"  # staff: apply a decision held for want of DMARC


@dataclass(frozen=True)
class Command:
    verb: Verb
    argument: str | None  # reason, question or address; None for APPROVE/ACCEPT/WITHDRAW
    hours: Decimal | None  # APPROVE only; None means the hours requested
    comment: str


class CommandError(Exception):
    """A known verb with a missing or bad argument; `message` is for the sender."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_EDGES = " \t*_" + _INVISIBLE
_VERB = re.compile(r"^([A-Za-z]+)(?=$|[\s:.!,;*_])[\s:*_]*(.*)$", re.DOTALL)
_TRAILING_PUNCTUATION = re.compile(r"[\s.!,;:]+$")
_HOURS = re.compile(r"^(\d{1,4}(?:[.,]\d{1,2})?)(?:\s*(?:hours?|hrs?|h|units?))?$", re.I)

_ANGLE_ADDRESS = re.compile(r"<([^<>]+)>")
_NEEDS_TEXT = {
    Verb.DENY: (
        "reason_required",
        "DENY needs a reason, e.g. DENY the activity is a sales presentation",
    ),
    Verb.INFO: (
        "question_required",
        "INFO needs a question, e.g. INFO Which dates does the workshop run?",
    ),
    Verb.REJECT: (
        "reason_required",
        "REJECT needs a reason, e.g. REJECT the certificate is unsigned",
    ),
}


def parse_command(new_text: str) -> Command | None:
    """The command on the first non-blank line, None when that line is not a command."""
    lines = new_text.replace("\r\n", "\n").split("\n")
    index = next((i for i, line in enumerate(lines) if line.strip(_EDGES)), None)
    if index is None:
        return None
    match = _VERB.match(lines[index].strip(_EDGES))
    if match is None:
        return None
    try:
        verb = Verb(match.group(1).upper())
    except ValueError:
        return None
    rest = match.group(2).strip(_EDGES)
    comment = "\n".join(lines[index + 1 :]).strip()
    if verb in (Verb.ACCEPT, Verb.WITHDRAW, Verb.CONFIRM):
        if _TRAILING_PUNCTUATION.sub("", rest):
            return None  # words after it: a sentence that starts with the verb
        return Command(verb, None, None, comment)
    if verb is Verb.APPROVE:
        return Command(verb, None, _hours(rest), comment)
    if verb is Verb.REASSIGN:
        return Command(verb, _address(rest), None, comment)
    if not rest.strip(" \t.!?,;:"):
        raise CommandError(*_NEEDS_TEXT[verb])
    return Command(verb, rest, None, comment)


def _hours(text: str) -> Decimal | None:
    text = _TRAILING_PUNCTUATION.sub("", text)
    if not text:
        return None
    match = _HOURS.match(text)
    if match is None:
        raise CommandError(
            "hours_invalid",
            f"APPROVE takes a number of hours, e.g. APPROVE 6 or APPROVE 6.5 (not {text[:40]!r})",
        )
    try:
        hours = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise CommandError("hours_invalid", "APPROVE takes a number of hours") from None
    if not 0 < hours <= MAX_HOURS:
        raise CommandError(
            "hours_invalid", f"APPROVE needs more than 0 and at most {MAX_HOURS} hours"
        )
    return hours


def _address(text: str) -> str:
    text = _TRAILING_PUNCTUATION.sub("", text)
    if text.lower().startswith("to "):
        text = text[3:].strip()
    angle = _ANGLE_ADDRESS.search(text)  # Jane Doe <jane.doe@opi.example>
    address = normalize(angle.group(1) if angle else text)
    if not address:
        raise CommandError(
            "address_required",
            "REASSIGN needs the new reviewer's email address, e.g. REASSIGN jane.doe@opi.example",
        )
    if not is_valid(address):
        raise CommandError(
            "address_invalid",
            f"REASSIGN needs an email address like jane.doe@opi.example (not {text[:80]!r})",
        )
    return address


# --- commands to the office address (no reply token): staff say they are away or back ---

_AWAY = re.compile(r"^AWAY(?:\s+(?:UNTIL|TILL|THROUGH|THRU))?[\s:]+(\d{4}-\d{2}-\d{2})$", re.I)
_BACK = re.compile(r"^BACK$", re.I)


@dataclass(frozen=True)
class OfficeCommand:
    """`AWAY UNTIL 2026-12-28` (until: the last day away) or `BACK` (until: None)."""

    until: date | None


def parse_office_command(new_text: str) -> OfficeCommand | None:
    """The office command on the first non-blank line, None when there is none.

    `AWAY` with a bad or missing date is a CommandError: the sender meant the command.
    """
    line = next((x.strip(_EDGES) for x in new_text.splitlines() if x.strip(_EDGES)), "")
    line = _TRAILING_PUNCTUATION.sub("", line)
    if _BACK.match(line):
        return OfficeCommand(None)
    if not re.match(r"^AWAY\b", line, re.I):
        return None
    match = _AWAY.match(line)
    if match:
        try:
            return OfficeCommand(date.fromisoformat(match.group(1)))
        except ValueError:
            pass
    raise CommandError(
        "date_invalid", "AWAY needs the last day you are away, e.g. AWAY UNTIL 2026-12-28"
    )
