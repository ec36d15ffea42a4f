"""The TLS context for the mail servers: the system's trusted CAs, verified host names."""

from __future__ import annotations

import ssl
from functools import cache


@cache
def default_context() -> ssl.SSLContext:
    """Made once per process and shared by every IMAP and SMTP connection: loading the
    system's CA certificates costs ~40 ms, which each connection paid before."""
    return ssl.create_default_context()
