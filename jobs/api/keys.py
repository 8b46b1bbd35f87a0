"""API keys: created (shown once), looked up by hash, revoked. Webhook settings for a user.

Keys are 32 random bytes, so a plain sha256 is enough to store them: there is nothing to brute
force, and a lookup by hash is a single indexed query (no per-user salt to try).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from jobs.intake import rules
from jobs.models import ApiKey, Webhook

KEY_PREFIX = "lec_"
VISIBLE_CHARS = 12  # "lec_" and 8 characters of the random part
# last_used_at is written at most this often per key, so that reads do not all become writes.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # the only time the full key exists outside the client


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_key_create(*, user: AbstractBaseUser, name: str = "") -> NewKey:
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=token[:VISIBLE_CHARS],
        hashed_key=hash_token(token),
    )
    return NewKey(key=key, token=token)


def api_key_revoke(*, user: AbstractBaseUser, key_id: object) -> bool:
    """Revoke one of the user's keys; False when there is no such active key of theirs."""
    try:
        key_pk = int(str(key_id))
    except ValueError:
        return False
    return bool(
        ApiKey.objects.filter(pk=key_pk, user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def api_key_authenticate(token: str) -> ApiKey | None:
    """The active key for this token, with its user; records when it was last used."""
    if not token.startswith(KEY_PREFIX) or len(token) > 100:
        return None
    key = (
        ApiKey.objects.select_related("user")
        .filter(hashed_key=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_keys_for_user(user: AbstractBaseUser) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user).order_by("revoked_at", "-created_at")


def webhook_set(*, user: AbstractBaseUser, url: str) -> Webhook | None:
    """Set (or, with an empty URL, remove) the user's webhook. Raises ``rules.UnsafeURL``.

    The secret is made once and kept when only the URL changes, so receivers need not be
    reconfigured; ``webhook_rotate_secret`` makes a new one.
    """
    url = url.strip()
    if not url:
        Webhook.objects.filter(user=user).delete()
        return None
    url = rules.validate_url(url)
    webhook, created = Webhook.objects.get_or_create(
        user=user, defaults={"url": url, "secret": new_secret()}
    )
    if not created and webhook.url != url:
        webhook.url = url
        webhook.save(update_fields=["url", "updated_at"])
    return webhook


def webhook_rotate_secret(*, user: AbstractBaseUser) -> Webhook | None:
    webhook = Webhook.objects.filter(user=user).first()
    if webhook is not None:
        webhook.secret = new_secret()
        webhook.save(update_fields=["secret", "updated_at"])
    return webhook


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)
