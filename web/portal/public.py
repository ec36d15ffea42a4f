"""The portal paths a signed-out visitor may open (sign in, set or reset a password...).

Every other route under /provider and /me must redirect a signed-out visitor to sign in;
tests/integration/test_portal_routes.py checks each route of the app against this set.
"""

from __future__ import annotations

PUBLIC_PATHS: set[str] = {
    "/provider/sign-in",
    "/provider/forgot-password",
    "/provider/forgot-username",
    "/me",
}
