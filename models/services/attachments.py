"""Received files on disk, addressed by SHA-256 (the same file twice is stored once)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.data_dir import attachment_file
from models.messages import Attachment


def store_file(data_dir: Path, sha256: str, data: bytes) -> str:
    relative = attachment_file(sha256)
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        os.replace(temporary, target)  # atomic: a crash never leaves half a file under the name
    return relative


def save_attachment(
    session: Session,
    data_dir: Path,
    *,
    filename: str,
    content_type: str,
    data: bytes,
    sha256: str,
    now: datetime,
    case_id: int | None,
    inbound_id: int | None,
) -> Attachment:
    store_file(data_dir, sha256, data)
    row = Attachment(
        case_id=case_id,
        inbound_id=inbound_id,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=sha256,
        created_at=now,
    )
    session.add(row)
    return row


def forget_unkept(session: Session, data_dir: Path, sha256s: Iterable[str]) -> None:
    """Remove files stored for something that was then refused, unless a row keeps them."""
    for sha256 in sha256s:
        kept = session.scalar(select(Attachment.id).where(Attachment.sha256 == sha256).limit(1))
        if kept is None:
            (data_dir / attachment_file(sha256)).unlink(missing_ok=True)
