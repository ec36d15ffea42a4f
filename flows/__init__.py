"""Entry points: the `pdu` command and the Prefect flows.

Our top-level package `mailbox` shares its name with a standard-library module. Python
finds the stdlib first unless the project root precedes it on `sys.path`, so every entry
point imports this package first, and this puts the root in front. Nothing in our
processes needs the stdlib `mailbox` (aiosmtpd.handlers and pymap run in their own).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)


def _root_first() -> None:
    if sys.path[:1] != [ROOT]:
        while ROOT in sys.path:
            sys.path.remove(ROOT)
        sys.path.insert(0, ROOT)
    loaded = sys.modules.get("mailbox")
    if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(ROOT):
        del sys.modules["mailbox"]  # the stdlib's, imported before we fixed the path


_root_first()
