"""The public web front: the application forms, certificate verification, the directory.

A thin entry point like the `pdu` command: every page calls the use cases in
models/services (a form submission runs the same intake as `pdu submit` and email), and
renders the project's Jinja2 templates (templates/web/). Works without JavaScript; the
one script only makes the directory search live.

Importing this package puts the project root first on `sys.path` (`models.project_root`):
our `mailbox` package, not the standard library's.
"""

import models.project_root  # noqa: F401
