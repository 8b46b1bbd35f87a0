"""Email the account flows send, as tasks (django-q2), so that no request waits on a mail server:
the password-reset link, and the staff alert about a burst of failed sign-ins."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import send_mail


def send_password_reset(email: str) -> None:
    """Send the reset link to every active account with this address (none: nothing happens).

    The task, not the request, looks the address up: the request does the same work for a known
    and an unknown address, so its timing tells nothing. The link is built from
    ``LECTERN_BASE_URL``, never from a request's Host header (which a client chooses).
    """
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    base = urlsplit(settings.BASE_URL)
    form.save(
        domain_override=base.netloc,
        use_https=base.scheme == "https",
        extra_email_context={"base_url": settings.BASE_URL},
    )


def alert_staff(text: str) -> int:
    """Tell staff about a burst of failed sign-ins; returns how many addresses were written to."""
    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    send_mail(
        "[Lectern] Failed sign-ins",
        f"{text}\n\nThe attempts are slowed down; nothing else is needed unless this goes on. "
        f"Sign-in throttling is described in docs/deploy.md.\n\n{settings.BASE_URL}/admin/\n",
        None,
        recipients,
    )
    return len(recipients)
