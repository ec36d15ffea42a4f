"""OAuth2 access tokens for IMAP and SMTP (XOAUTH2), beside plain passwords.

Microsoft 365: the client-credentials grant through msal (an app registration with the
`IMAP.AccessAsApp` / `SMTP.SendAsApp` permissions; msal caches the token until it expires).
Google: the refresh-token grant of an installed or web client, refreshed a minute before
expiry. The clock and the credentials are passed in (`flows/jobs.py` picks the grant).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
EARLY_REFRESH = timedelta(seconds=60)


class OAuthError(Exception):
    """The identity provider refused; the message says why, without the secret."""


def microsoft_provider(
    tenant_id: str,
    client_id: str,
    client_secret: str,
    *,
    app_factory: Callable[..., Any] | None = None,
) -> Callable[[], str]:
    if not (tenant_id and client_id and client_secret):
        raise OAuthError(
            "Microsoft 365 needs PDU_OAUTH_TENANT_ID, PDU_OAUTH_CLIENT_ID and "
            "PDU_OAUTH_CLIENT_SECRET"
        )
    if app_factory is None:
        import msal

        app_factory = msal.ConfidentialClientApplication
    app = app_factory(
        client_id,
        authority=MICROSOFT_AUTHORITY.format(tenant=tenant_id),
        client_credential=client_secret,
    )

    def token() -> str:
        result = app.acquire_token_for_client(scopes=[MICROSOFT_SCOPE])
        if "access_token" not in result:
            error = result.get("error", "unknown_error")
            description = str(result.get("error_description", "")).splitlines()[0][:200]
            raise OAuthError(
                f"Microsoft 365 refused the client credentials: {error}: {description}"
            )
        return str(result["access_token"])

    return token


class GoogleRefreshToken:
    """Exchanges a long-lived refresh token for short-lived access tokens, caching each."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        now: Callable[[], datetime],
        token_url: str = GOOGLE_TOKEN_URL,
        timeout: float = 30.0,
    ) -> None:
        if not (client_id and client_secret and refresh_token):
            raise OAuthError(
                "Google needs PDU_OAUTH_CLIENT_ID, PDU_OAUTH_CLIENT_SECRET and "
                "PDU_OAUTH_REFRESH_TOKEN"
            )
        self._form = {
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
            "grant_type": "refresh_token",
        }
        self._now, self._url, self._timeout = now, token_url, timeout
        self._token: str | None = None
        self._expires: datetime | None = None

    def __call__(self) -> str:
        if self._token and self._expires and self._now() < self._expires - EARLY_REFRESH:
            return self._token
        body = urllib.parse.urlencode(self._form).encode()
        request = urllib.request.Request(self._url, data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                error = json.loads(exc.read()).get("error", exc.code)
            except ValueError:
                error = exc.code
            raise OAuthError(f"Google refused the refresh token: {error}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise OAuthError(f"cannot reach Google's token endpoint: {exc}") from None
        if "access_token" not in answer:
            raise OAuthError("Google's token endpoint answered without an access token")
        self._token = str(answer["access_token"])
        self._expires = self._now() + timedelta(seconds=int(answer.get("expires_in", 3600)))
        return self._token
