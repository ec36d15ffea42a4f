"""Microsoft 365 client credentials: our wrapper around msal (msal itself is not ours)."""

from mailbox.oauth import MICROSOFT_SCOPE, OAuthError, microsoft_provider

import pytest


class FakeApp:
    """Stands in for msal.ConfidentialClientApplication: records what it was asked."""

    def __init__(self, client_id, authority, client_credential, answer=None):
        self.args = (client_id, authority, client_credential)
        self.scopes: list[list[str]] = []
        self.answer = answer or {"access_token": "eyJ0eXAi.token", "expires_in": 3599}

    def acquire_token_for_client(self, scopes):
        self.scopes.append(scopes)
        return self.answer


def test_the_token_is_asked_for_the_exchange_online_scope_of_the_tenant():
    apps = []
    provider = microsoft_provider(
        "contoso-tenant",
        "client-1",
        "s3cret",
        app_factory=lambda *a, **k: apps.append(FakeApp(*a, **k)) or apps[-1],
    )
    assert provider() == "eyJ0eXAi.token"
    [app] = apps
    assert app.args == ("client-1", "https://login.microsoftonline.com/contoso-tenant", "s3cret")
    assert app.scopes == [[MICROSOFT_SCOPE]]


def test_a_refusal_names_the_error_without_the_secret():
    answer = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.\nTrace ID: abc",
    }
    provider = microsoft_provider(
        "t",
        "client-1",
        "s3cret",
        app_factory=lambda *a, **k: FakeApp(*a, **k, answer=answer),
    )
    with pytest.raises(OAuthError) as refused:
        provider()
    assert "invalid_client" in str(refused.value) and "s3cret" not in str(refused.value)
    assert "Trace ID" not in str(refused.value)


def test_missing_credentials_are_named_before_anything_is_tried():
    with pytest.raises(OAuthError, match="PDU_OAUTH_TENANT_ID"):
        microsoft_provider("", "client-1", "s3cret", app_factory=FakeApp)
