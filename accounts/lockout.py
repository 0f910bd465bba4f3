"""How django-axes tells one login attempt from another: by the client's address and by the
username, either of which, after too many failures, locks out further attempts for a while
(settings.py's AXES_* settings).

Only logins that come with a request count. `authenticate(username=..., password=...)` in
`manage.py shell` or a script has no address to lock and no page to show a lockout on, and
django-axes would refuse it outright; such a login is checked by the password alone."""

from typing import Any

from axes import signals as axes_signals
from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The address of the browser, not of the proxy in front of us.

    Behind a TLS proxy (BEHIND_TLS_PROXY), REMOTE_ADDR is the proxy's own address, shared by
    every visitor, so one attacker would lock everyone out. The proxy appends the address it
    was connected from to X-Forwarded-For; only that last entry is the proxy's word, the ones
    before it are whatever the client sent, so trusting the first (the usual mistake) would let
    an attacker pick a new address for each guess.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Usernames are unique ignoring case (accounts/models.py), so "Mary" and "mary" are the
    same account and their failures count together."""
    return (credentials or {}).get("username", "").casefold()


class WebLoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' gate, for web logins only; without a request the next backend decides."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def count_web_login_failure(
    sender: object,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """Stands in for django-axes' own `user_login_failed` receiver (accounts/apps.py): counts a
    web login's failure exactly as it does. A failure without a request (a wrong password typed
    in the shell) is the caller's own business, not an ERROR in the log."""
    if request is not None:
        axes_signals.handle_user_login_failed(
            sender, credentials=credentials, request=request, **kwargs
        )
