"""Helpers for the email gateway's unit tests: fixture messages and a parse with caps."""

from __future__ import annotations

from mailbox.parse import ParsedMessage, parse_message
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"
MIB = 1024 * 1024
CAPS = {
    "max_bytes": 30 * MIB,
    "max_attachment_bytes": 10 * MIB,
    "max_total_attachment_bytes": 25 * MIB,
}


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(data: bytes, **caps: int) -> ParsedMessage:
    return parse_message(data, **(CAPS | caps))


def fixture(name: str) -> ParsedMessage:
    return parse(raw(name))


def message(headers: str, body: str = "Hello.\n") -> bytes:
    """A small message from header lines and a body (LF line endings)."""
    return (headers.strip("\n") + "\n\n" + body).encode("utf-8")
