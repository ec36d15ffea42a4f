"""How hours are written, everywhere: as text (emails, PDFs, pages, messages, CSV) and as a
JSON number (the CLI's and the web's JSON, the signed credential, stored forms).

Decimal hours come from the database with their scale (6.50, 18.00): written as `6.5` and
`18`, never `6.50`, `6.0` or `6E+1`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def hours_text(value: Decimal | int | float | str) -> str:
    """6 → `6`, 6.5 → `6.5`, Decimal('7.50') → `7.5`; never `6.0` or `6E+1`."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"hours: expected a number, got {value!r}")
    try:
        # str() first: a float's repr is the short decimal people typed (6.1, not 6.0999…).
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"hours: {value!r} is not a number") from exc
    text = format(number.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def hours_number(value: Decimal) -> int | float:
    """18.00 → 18, 6.50 → 6.5: a JSON number (18 stays 18, not 18.0 or "18")."""
    return int(value) if value == value.to_integral_value() else float(value)
