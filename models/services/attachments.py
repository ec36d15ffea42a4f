"""Received files on disk, addressed by SHA-256 (the same file twice is stored once)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from models.messages import Attachment


def relative_path(sha256: str) -> str:
    return f"attachments/{sha256[:2]}/{sha256}"


def store_file(data_dir: Path, sha256: str, data: bytes) -> str:
    relative = relative_path(sha256)
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
