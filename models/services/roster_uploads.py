"""A roster file kept between its check and the provider's "issue the valid rows": stored
under the data directory by its SHA-256, in a folder of the provider that uploaded it (only
that provider's pages find it), and deleted once its rows are queued."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from models.services.errors import NotFound
from models.settings import Settings

_KEY = re.compile(r"[0-9a-f]{64}")


def _path(settings: Settings, provider_id: int, key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise NotFound("that upload is not known: upload the roster again")
    return settings.data_dir / "uploads" / f"provider-{provider_id}" / f"{key}.csv"


def keep_upload(settings: Settings, provider_id: int, content: bytes) -> str:
    key = hashlib.sha256(content).hexdigest()
    path = _path(settings, provider_id, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return key


def load_upload(settings: Settings, provider_id: int, key: str) -> bytes:
    try:
        return _path(settings, provider_id, key).read_bytes()
    except FileNotFoundError:
        raise NotFound("that upload is not known: upload the roster again") from None


def drop_upload(settings: Settings, provider_id: int, key: str) -> None:
    _path(settings, provider_id, key).unlink(missing_ok=True)
