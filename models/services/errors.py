"""Errors a user caused (bad input, unknown reference): shown as one plain line.

Anything else is an operator error: logged with its traceback, never shown to a user.
"""


class UserError(Exception):
    """The message is for the person who asked; the exit code is non-zero."""


class NotFound(UserError):
    pass


class Conflict(UserError):
    pass
