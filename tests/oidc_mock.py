"""A local OpenID Connect provider for login tests (oidc-provider-mock, in a thread).

The provider accepts any client id/secret and shows a form where the test types the subject
("sub") to sign in as; the ID token then carries ``iss`` (this provider's URL) and that ``sub``,
which ``chokepoint.workspace.tenant_for`` maps to a tenant.

    with mock_provider() as issuer:
        server = Server(tmp, secrets=auth_secrets(issuer))
        login(page, server.url, "alice")
"""
from __future__ import annotations

import secrets as _secrets
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def mock_provider() -> Iterator[str]:
    """Start the provider on a free loopback port; yields its issuer URL."""
    import logging
    import warnings

    logging.getLogger("werkzeug").setLevel(logging.WARNING)      # no access log in test output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)        # authlib.jose, used by the mock
        from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"


def auth_secrets(issuer: str, cookie_secret: str | None = None) -> str:
    """The [auth] section of secrets.toml for a `streamlit run` on any port ({port} is filled in)."""
    return (
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{cookie_secret or _secrets.token_hex(32)}"\n'
        'client_id = "chokepoint-test"\n'
        f'client_secret = "{_secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )


def login(page, app_url: str, sub: str, path: str = "/") -> None:
    """Sign in through the app's sidebar button and the provider's form, as subject ``sub``."""
    page.goto(app_url + path)
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name='sub']").wait_for(timeout=30_000)
    page.locator("input[name='sub']").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(lambda u: u.startswith(app_url), timeout=30_000)
    page.get_by_text(f"Signed in as {sub}").wait_for(timeout=30_000)
