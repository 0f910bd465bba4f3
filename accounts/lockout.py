"""How django-axes tells one login attempt from another: by the client's address and by the
username, either of which, after too many failures, locks out further attempts for a while
(settings.py's AXES_* settings)."""

from django.conf import settings


def client_address(request):
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


def username(request, credentials):
    """Usernames are unique ignoring case (accounts/models.py), so "Mary" and "mary" are the
    same account and their failures count together."""
    return (credentials or {}).get("username", "").casefold()
