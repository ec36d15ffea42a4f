"""accounts.csv: provider portal accounts under the usernames their users already know.

Usernames are kept exactly, even when they break today's rule (models/usernames.py): the
old system's `jdoe` or `Mary.Smith` signs in as before. No password comes across: each
user gets the set-password email when the import is executed (`pdu provider account
reset` sends another later).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from models.accounts import ProviderAccount
from models.people import Person
from models.providers import Provider
from models.services.account_admin import email_setup_link
from models.services.context import ServiceContext
from models.services.errors import UserError
from models.services.legacy_files import Known, LegacyReport, Line, parsed
from models.services.legacy_providers import providers_by_number
from models.usernames import MAX_LENGTH

FILE = "accounts.csv"
COLUMNS = ("username", "provider", "first_name", "last_name", "email")
ACTOR = "legacy import"


@dataclass(frozen=True)
class AccountRow:
    line: Line
    username: str
    provider: str  # number
    first_name: str
    last_name: str
    email: str
    manager: bool


def _row(line: Line) -> AccountRow:
    username = line.required("username")
    # Signing in takes a username or an address: one with @ or a space could not be typed.
    if len(username) > MAX_LENGTH or "@" in username or any(c.isspace() for c in username):
        raise UserError(
            f"username {username!r} cannot sign in here (at most {MAX_LENGTH} characters, "
            "no @ or spaces)"
        )
    return AccountRow(
        line,
        username,
        line.number_in("provider", "a provider number"),
        line.name("first_name"),
        line.name("last_name"),
        line.email(),
        line.flag("manager"),
    )


def check(
    ctx: ServiceContext, lines: list[Line], known: Known, report: LegacyReport
) -> list[AccountRow]:
    """Rows to add. A username taken here (in any case) by the same provider and address is
    present; by anyone else, refused (never renamed)."""
    taken = {
        username.casefold(): (username, number, email)
        for username, number, email in ctx.session.execute(
            select(ProviderAccount.username, Provider.number, Person.email)
            .join(Provider, Provider.id == ProviderAccount.provider_id)
            .outerjoin(Person, Person.id == ProviderAccount.person_id)
        )
    }
    seen: dict[str, int] = {}
    additions = []
    for row in parsed(lines, _row, report):
        key = row.username.casefold()
        if key in seen:
            report.problem(row.line, f"username {row.username!r} is also on line {seen[key]}")
            continue
        seen[key] = row.line.number
        if row.provider not in known.providers:
            report.problem(row.line, f"no provider {row.provider} here or in providers.csv")
            continue
        here = taken.get(key)
        if here is not None and here[1:] == (row.provider, row.email):
            report.matched(row.line, f"account {here[0]} of {row.provider}")
            continue
        if here is not None:
            report.refuse(
                row.line,
                f"username {row.username!r} is already taken here by {here[0]} of {here[1]}: "
                "refused (usernames are never renamed)",
            )
            continue
        additions.append(row)
    return additions


def add(ctx: ServiceContext, rows: list[AccountRow]) -> int:
    """The accounts, each with its set-password email (the outbox); how many were written."""
    providers = providers_by_number(ctx)
    accounts = []
    for row in rows:
        person = ctx.session.scalar(select(Person).where(Person.email == row.email))
        if person is None:
            person = Person(
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
                phone=row.line.optional("phone"),
                created_at=ctx.now,
            )
            ctx.session.add(person)
            ctx.session.flush()
        account = ProviderAccount(
            username=row.username,
            provider_id=providers[row.provider].id,
            person_id=person.id,
            is_manager=row.manager,
            created_at=ctx.now,
        )
        ctx.session.add(account)
        accounts.append(account)
    ctx.session.flush()
    for account in accounts:
        email_setup_link(ctx, account, ACTOR)
    return len(accounts)
