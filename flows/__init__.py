"""Entry points: the `pdu` command and the Prefect flows.

Importing this package puts the project root first on `sys.path` (`models.project_root`):
our `mailbox` package, not the standard library's.
"""

from __future__ import annotations

import models.project_root  # noqa: F401
