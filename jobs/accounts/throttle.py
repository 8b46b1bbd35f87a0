"""Sign-in throttling: failed passwords counted per account and per address in the shared cache.

An authentication backend, so that every way in that checks a password (the login page, the
admin's) is covered. After ``LECTERN_LOGIN_FAILURES_PER_ACCOUNT`` failures for one username, or
``LECTERN_LOGIN_FAILURES_PER_ADDRESS`` from one address, in a ``LECTERN_LOGIN_WINDOW_SECONDS``
window, every attempt is refused, the right password included, until the window ends. The counters
are the rate limiter's (jobs.api.ratelimit), so all web processes share them.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from jobs.api import ratelimit


def client_address(request: HttpRequest | None) -> str:
    """The client's address: REMOTE_ADDR, or the hop our own proxy appended when behind one."""
    if request is None:
        return "unknown"
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1][:64]
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:64]


def _keys(request: HttpRequest | None, username: str) -> list[tuple[str, int]]:
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [
        (f"login-account:{account}", settings.LECTERN_LOGIN_FAILURES_PER_ACCOUNT),
        (f"login-address:{client_address(request)}", settings.LECTERN_LOGIN_FAILURES_PER_ADDRESS),
    ]


def locked_for(request: HttpRequest | None, username: str) -> int:
    """Seconds until this username may try again from this address (0: it may now)."""
    window = settings.LECTERN_LOGIN_WINDOW_SECONDS
    waits = [
        ratelimit.retry_after(name, window=window)
        for name, limit in _keys(request, username)
        if ratelimit.current(name, window=window) >= limit
    ]
    return max(waits, default=0)


def record_failure(request: HttpRequest | None, username: str) -> None:
    window = settings.LECTERN_LOGIN_WINDOW_SECONDS
    for name, limit in _keys(request, username):
        ratelimit.hit(name, limit=limit, window=window)


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        name = username if username is not None else kwargs.get("username", "")
        wait = locked_for(request, str(name or ""))
        if wait:
            if request is not None:
                request.login_retry_after = wait
            raise PermissionDenied("too many failed sign-ins")  # stops every backend
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            record_failure(request, str(name or ""))
        return user


class ThrottledAuthenticationForm(AuthenticationForm):
    """Says so when the sign-in was refused for too many failures, not a wrong password."""

    def get_invalid_login_error(self) -> ValidationError:
        wait = getattr(self.request, "login_retry_after", 0)
        if wait:
            minutes = max(1, round(wait / 60))
            return ValidationError(
                f"Too many failed sign-ins. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}, or reset your password.",
                code="throttled",
            )
        return super().get_invalid_login_error()
