"""Small input checks shared by every entry point."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from models.services.errors import UserError


def clean_email(value: str) -> str:
    """A syntactically valid address, lowercased; UserError in plain words otherwise."""
    try:
        info = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise UserError(f"{value!r} is not a valid email address: {exc}") from None
    return info.normalized.lower()
