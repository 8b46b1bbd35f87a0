"""Sign-in throttling that slows an attacker without locking out the people being attacked.

An authentication backend, so that every way in that checks a password (the login page, the
admin's) is covered. Failed passwords are counted in the shared cache (the rate limiter's
counters, jobs.api.ratelimit, so every web process sees the same counts), per
``LECTERN_LOGIN_WINDOW_SECONDS`` window:

- **per account and address**: after ``LECTERN_LOGIN_FAILURES_PER_ACCOUNT`` failures for one
  username from one address, that address may not try that username again until the window ends.
  Nobody else is affected.
- **per account, from everywhere**: past the same number of failures from all addresses together,
  the account backs off exponentially rather than locking: each attempt must come
  ``LECTERN_LOGIN_BACKOFF_SECONDS`` * 2^(failures past the limit) after the last failure, at most
  ``LECTERN_LOGIN_BACKOFF_MAX_SECONDS``. An address the account has signed in from before (within
  ``KNOWN_ADDRESS_DAYS``) skips the back-off, so an attacker elsewhere cannot keep the owner out;
  attempts refused during a back-off are not counted, so waiting them out is the only way on.
- **per address**: past ``LECTERN_LOGIN_FAILURES_PER_ADDRESS`` failures from one address (over
  any usernames), that address may not try again any username it has failed on in the window,
  but a correct password for any other account still signs in (a campus behind one NAT address).

When an account or an address reaches its limit, staff with an email address are told, at most
``LECTERN_LOGIN_ALERTS_PER_HOUR`` messages an hour in all (sent by a task, not by the request).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django_q.tasks import async_task

from jobs.api import ratelimit

logger = logging.getLogger(__name__)

# How long an address the account signed in from is remembered as the owner's.
KNOWN_ADDRESS_DAYS = 90


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


def _account(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def _names(request: HttpRequest | None, username: str) -> dict[str, str]:
    account, address = _account(username), client_address(request)
    return {
        "pair": f"login-pair:{account}:{address}",
        "account": f"login-account:{account}",
        "address": f"login-address:{address}",
        "last": f"login-last-failure:{account}",
        "known": f"login-known:{account}:{address}",
    }


def backoff_seconds(failures: int) -> float:
    """The pause an account needs after ``failures`` failures in the window (0 below the limit)."""
    over = failures - settings.LECTERN_LOGIN_FAILURES_PER_ACCOUNT
    if over < 0:
        return 0.0
    # min() first on the exponent: 2**over for a huge count is a huge integer, not an error.
    return min(
        settings.LECTERN_LOGIN_BACKOFF_MAX_SECONDS,
        settings.LECTERN_LOGIN_BACKOFF_SECONDS * 2 ** min(over, 64),
    )


def locked_for(request: HttpRequest | None, username: str) -> int:
    """Seconds until this username may be tried from this address (0: it may now)."""
    window = settings.LECTERN_LOGIN_WINDOW_SECONDS
    names = _names(request, username)
    tried_here = ratelimit.current(names["pair"], window=window)
    if tried_here >= settings.LECTERN_LOGIN_FAILURES_PER_ACCOUNT:
        return ratelimit.retry_after(names["pair"], window=window)
    known = bool(cache.get(names["known"]))
    if known:
        return 0
    if (
        tried_here
        and ratelimit.current(names["address"], window=window)
        >= settings.LECTERN_LOGIN_FAILURES_PER_ADDRESS
    ):
        return ratelimit.retry_after(names["address"], window=window)
    pause = backoff_seconds(ratelimit.current(names["account"], window=window))
    if pause:
        last = float(cache.get(names["last"]) or 0)
        wait = last + pause - time.time()
        if wait > 0:
            return math.ceil(wait)
    return 0


def record_failure(request: HttpRequest | None, username: str) -> None:
    window = settings.LECTERN_LOGIN_WINDOW_SECONDS
    names = _names(request, username)
    ratelimit.hit(names["pair"], limit=settings.LECTERN_LOGIN_FAILURES_PER_ACCOUNT, window=window)
    account = ratelimit.hit(
        names["account"], limit=settings.LECTERN_LOGIN_FAILURES_PER_ACCOUNT, window=window
    )
    address = ratelimit.hit(
        names["address"], limit=settings.LECTERN_LOGIN_FAILURES_PER_ADDRESS, window=window
    )
    cache.set(names["last"], time.time(), timeout=window)
    # Once a window each: the failure that reaches the limit.
    if account.count == account.limit:
        _alert_staff(
            f"{account.count} failed sign-ins for the username {username[:150]!r} (from every "
            f"address) in the last {window // 60} minutes; the last from {client_address(request)}."
        )
    if address.count == address.limit:
        _alert_staff(
            f"{address.count} failed sign-ins from the address {client_address(request)} (over "
            f"any usernames) in the last {window // 60} minutes; the last for {username[:150]!r}."
        )


def record_success(request: HttpRequest | None, username: str) -> None:
    """Remember the address as one the owner uses: it skips the account's back-off from now on."""
    cache.set(_names(request, username)["known"], 1, timeout=KNOWN_ADDRESS_DAYS * 86400)


def _alert_staff(text: str) -> None:
    logger.warning("sign-in burst: %s", text)
    allowed = ratelimit.hit(
        "login-alerts", limit=settings.LECTERN_LOGIN_ALERTS_PER_HOUR, window=3600
    ).allowed
    if not allowed:
        return
    try:
        async_task("jobs.accounts.mail.alert_staff", text, task_name="sign-in-alert")
    except Exception:  # the sign-in must be answered even when the queue is down
        logger.exception("could not queue the sign-in alert")


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        name = str((username if username is not None else kwargs.get("username", "")) or "")
        wait = locked_for(request, name)
        if wait:
            if request is not None:
                request.login_retry_after = wait
            raise PermissionDenied("too many failed sign-ins")  # stops every backend
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            record_failure(request, name)
        elif user is not None:
            record_success(request, name)
        return user


class ThrottledAuthenticationForm(AuthenticationForm):
    """Says so when the sign-in was refused for too many failures, not a wrong password."""

    def get_invalid_login_error(self) -> ValidationError:
        wait = getattr(self.request, "login_retry_after", 0)
        if wait:
            if wait < 60:
                when = f"{wait} second{'s' if wait != 1 else ''}"
            else:
                minutes = round(wait / 60)
                when = f"{minutes} minute{'s' if minutes != 1 else ''}"
            return ValidationError(
                f"Too many failed sign-ins. Try again in {when}, or reset your password.",
                code="throttled",
            )
        return super().get_invalid_login_error()
