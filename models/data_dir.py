"""The data directory's layout (`PDU_DATA_DIR`): every file the application keeps, and where.

Paths in the database (an outbox attachment's `path`) are relative to the directory, so a
deployment can move it. Nothing else builds these paths.
"""

from __future__ import annotations

from pathlib import Path


def attachment_file(sha256: str) -> str:
    """A received file, stored once by its SHA-256 (fanned out by its first two digits)."""
    return f"attachments/{sha256[:2]}/{sha256}"


def certificate_file(number: str) -> str:
    return f"certificates/{number}.pdf"


def certificate_path(data_dir: Path, number: str) -> Path:
    return data_dir / certificate_file(number)


def devmail_dir(data_dir: Path) -> Path:
    """The development mail server's mailboxes and log (`pdu serve --dev-mail`)."""
    return data_dir / "devmail"


def prefect_server_log(data_dir: Path) -> Path:
    return data_dir / "prefect-server.log"
