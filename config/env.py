"""Typed access to environment variables for settings.

Every reader accepts ``NAME_FILE`` as an alternative to ``NAME`` (the Docker/Kubernetes secrets
convention) and raises ``ImproperlyConfigured`` naming the variable when a value is malformed, so
that a typo fails at start-up rather than half-way through a job.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def get(name: str, default: str | None = None) -> str | None:
    """The raw value of ``name``, read from ``name`` or from the file named by ``name_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {exc}") from exc
    value = os.environ.get(name)
    return default if value is None else value


def string(name: str, default: str = "") -> str:
    value = get(name)
    return default if value is None else value.strip()


def boolean(name: str, default: bool = False) -> bool:
    value = get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def integer(name: str, default: int, *, minimum: int | None = None) -> int:
    value = get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def number(name: str, default: float, *, minimum: float | None = None) -> float:
    value = get(name)
    if value is None or not value.strip():
        return default
    try:
        result = float(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {result}")
    return result


def strings(name: str, default: list[str] | None = None) -> list[str]:
    value = get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def email_settings(name: str) -> dict[str, object]:
    """Django email settings from a URL such as ``smtp+tls://user:pass@host:587``.

    Schemes: ``console://``, ``locmem://``, ``dummy://``, ``smtp://``, ``smtp+tls://`` (STARTTLS)
    and ``smtp+ssl://``. Query ``?from=addr`` sets the sender.
    """
    value = get(name)
    if not value:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    result: dict[str, object] = {}
    if "from" in query:
        result["DEFAULT_FROM_EMAIL"] = query["from"]
    if scheme in simple:
        result["EMAIL_BACKEND"] = simple[scheme]
        return result
    if scheme not in {"smtp", "smtp+tls", "smtp+ssl"}:
        raise ImproperlyConfigured(
            f"{name} must start with console://, smtp://, smtp+tls:// or smtp+ssl://, got {scheme!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port") from None
    result.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=parts.hostname or "localhost",
        EMAIL_PORT=port or (465 if scheme == "smtp+ssl" else 587 if scheme == "smtp+tls" else 25),
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=scheme == "smtp+tls",
        EMAIL_USE_SSL=scheme == "smtp+ssl",
        EMAIL_TIMEOUT=20,
    )
    return result
