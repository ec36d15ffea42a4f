"""The email gateway: IMAP intake, SMTP sending, MIME parsing, reply tokens.

This package deliberately shadows the standard library's `mailbox` module (see
flows/__init__.py); nothing in this project uses the stdlib one.
"""
