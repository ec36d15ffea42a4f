"""The project root, put first on `sys.path` when this module is imported.

Our top-level package `mailbox` shares its name with a standard-library module. Python
finds the stdlib first unless the project root precedes it on `sys.path`, so every entry
point (`flows`, `web`) imports this module first. Nothing in our processes needs the
stdlib `mailbox` (aiosmtpd.handlers and pymap run in their own).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def put_root_first() -> None:
    root = str(ROOT)
    if sys.path[:1] != [root]:
        while root in sys.path:
            sys.path.remove(root)
        sys.path.insert(0, root)
    loaded = sys.modules.get("mailbox")
    if loaded is not None and not str(getattr(loaded, "__file__", "")).startswith(root):
        del sys.modules["mailbox"]  # the stdlib's, imported before we fixed the path


put_root_first()
