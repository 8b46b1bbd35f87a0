"""The speech models an API request may name: the same list for the JSON API and /v1/models."""

from __future__ import annotations

from django.conf import settings

from transcripts import modelstore

# OpenAI's own name, kept so that clients with "whisper-1" written into them work unchanged.
DEFAULT_ALIAS = "whisper-1"


def model_names() -> list[str]:
    """The models a request may name: the alias of the configured model, the bundled ones, and the
    configured one (``LECTERN_MODEL``) when it is something else."""
    names = [DEFAULT_ALIAS, *modelstore.BUNDLED]
    if settings.LECTERN_MODEL not in names:
        names.append(settings.LECTERN_MODEL)
    return names


def model_for(name: str) -> str:
    """The job's ``model`` for a listed name: "" for the configured one, else the name."""
    return "" if name in (DEFAULT_ALIAS, settings.LECTERN_MODEL) else name
