"""Google's refresh-token grant against a real HTTP token endpoint on loopback, and the
access token it yields used for SMTP AUTH XOAUTH2 against the test SMTP server."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from mailbox.oauth import GoogleRefreshToken, OAuthError
from mailbox.smtp import SendError, SmtpSender

import pytest


class TokenEndpoint:
    def __init__(self, access_token: str) -> None:
        self.access_token = access_token
        self.requests: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                endpoint.requests.append(form)
                ok = form.get("refresh_token") == "good-refresh-token"
                body = (
                    {"access_token": endpoint.access_token, "expires_in": 3600}
                    if ok
                    else {"error": "invalid_grant"}
                )
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(mail_server) -> Iterator[TokenEndpoint]:
    # The test SMTP server accepts XOAUTH2 when the bearer token is its shared password.
    server = TokenEndpoint(mail_server.password)
    yield server
    server.close()


def test_the_refresh_token_is_exchanged_once_and_cached_until_near_expiry(endpoint):
    clock = [datetime(2026, 11, 20, 16, tzinfo=UTC)]
    provider = GoogleRefreshToken(
        "client-1", "secret-1", "good-refresh-token", now=lambda: clock[0], token_url=endpoint.url
    )
    assert provider() == endpoint.access_token
    assert provider() == endpoint.access_token
    assert len(endpoint.requests) == 1
    assert endpoint.requests[0]["grant_type"] == "refresh_token"
    clock[0] += timedelta(minutes=59, seconds=30)  # within a minute of expiry: refresh
    provider()
    assert len(endpoint.requests) == 2


def test_a_revoked_refresh_token_is_a_clear_error(endpoint):
    provider = GoogleRefreshToken(
        "client-1",
        "secret-1",
        "revoked",
        now=lambda: datetime(2026, 11, 20, tzinfo=UTC),
        token_url=endpoint.url,
    )
    with pytest.raises(OAuthError, match="invalid_grant"):
        provider()


def test_smtp_sends_with_the_access_token_over_xoauth2(endpoint, mail_server):
    provider = GoogleRefreshToken(
        "client-1",
        "secret-1",
        "good-refresh-token",
        now=lambda: datetime(2026, 11, 20, tzinfo=UTC),
        token_url=endpoint.url,
    )
    message = EmailMessage()
    message["From"] = "pdu@oauth.example"
    message["To"] = "someone@oauth.example"
    message["Subject"] = "sent with XOAUTH2"
    message["Message-ID"] = "<xoauth2-1@oauth.example>"
    message.set_content("hello")
    with SmtpSender(
        "127.0.0.1", mail_server.smtp_port, user="pdu@oauth.example", oauth2_token_provider=provider
    ) as sender:
        sender.send(message)
    assert "<xoauth2-1@oauth.example>" in mail_server.received


def test_smtp_refuses_a_wrong_access_token(mail_server):
    message = EmailMessage()
    message["From"] = "pdu@oauth.example"
    message["To"] = "someone@oauth.example"
    message["Subject"] = "never sent"
    message["Message-ID"] = "<xoauth2-2@oauth.example>"
    message.set_content("hello")
    with (
        pytest.raises(SendError, match=r"(?i)auth"),
        SmtpSender(
            "127.0.0.1",
            mail_server.smtp_port,
            user="pdu@oauth.example",
            oauth2_token_provider=lambda: "not-the-token",
        ) as sender,
    ):
        sender.send(message)
    assert "<xoauth2-2@oauth.example>" not in mail_server.received
