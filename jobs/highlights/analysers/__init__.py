"""The analyser registry: Gemini when an API key is given or configured, else the local analyser.

Adding an analyser is adding one module with a class that implements
``jobs.highlights.analysers.base.Analyser`` and one line in ``get_analyser``. Whatever goes wrong
with a remote analyser (no network, a rate limit that outlasts the retries, an unusable answer),
``analyse`` falls back to the local one and records why in ``fallback_reason``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from jobs.highlights.analysers.base import (
    Analyser,
    AnalysisError,
    AnalysisRequest,
    AnalysisResult,
    Availability,
    Topic,
)
from jobs.highlights.analysers.gemini import GeminiAnalyser
from jobs.highlights.analysers.local import LocalAnalyser

logger = logging.getLogger(__name__)

NAMES = ("local", "gemini")

__all__ = [
    "NAMES",
    "Analyser",
    "AnalysisError",
    "AnalysisRequest",
    "AnalysisResult",
    "Availability",
    "Topic",
    "analyse",
    "find_topics",
    "get_analyser",
]


def _configured_key(api_key: str | None) -> str:
    # None means "not said": read the environment. An empty string means "no key", on purpose.
    if api_key is None:
        return os.environ.get("GEMINI_API_KEY", "")
    return api_key


def get_analyser(
    name: str | None = None, *, api_key: str | None = None, **options: Any
) -> Analyser:
    """The analyser called ``name``, or the best available one when ``name`` is None.

    ``options`` go to the analyser's constructor (``model``, ``base_url``, ``timeout`` for Gemini;
    ``min_topic`` and the weights for the local one).
    """
    key = _configured_key(api_key)
    if name is None:
        name = "gemini" if key else "local"
    if name == "gemini":
        return GeminiAnalyser(key, **options)
    if name == "local":
        return LocalAnalyser(**options)
    raise ValueError(f"Unknown analyser {name!r}; choose one of {', '.join(NAMES)}.")


def analyse(
    request: AnalysisRequest,
    *,
    name: str | None = None,
    api_key: str | None = None,
    options: dict[str, Any] | None = None,
    local_options: dict[str, Any] | None = None,
) -> AnalysisResult:
    """Topics of the lecture from the chosen analyser, falling back to the local one on failure."""
    analyser = get_analyser(name, api_key=api_key, **(options or {}))
    if analyser.name == "local":
        return analyser.analyse(request)
    try:
        return analyser.analyse(request)
    except Exception as exc:  # any failure of a remote service must not fail the job
        reason = str(exc) if isinstance(exc, AnalysisError) else f"{type(exc).__name__}: {exc}"
        logger.warning("The %s analyser failed, using the local one: %s", analyser.name, reason)
        result = LocalAnalyser(**(local_options or {})).analyse(request)
        result.fallback_reason = reason
        return result


def find_topics(
    segments: Sequence[Any],
    *,
    duration: float,
    silences: Sequence[tuple[float, float]] = (),
    slide_changes: Sequence[float] = (),
    language: str = "en",
    title: str = "",
    analyser: str | None = None,
    gemini: dict[str, Any] | None = None,
) -> AnalysisResult:
    """The Gemini analyser when a key is given (falling back to local on failure), else local."""
    gemini = gemini or {}
    request = AnalysisRequest(
        segments=list(segments),
        duration=duration,
        silences=list(silences),
        slide_changes=list(slide_changes),
        language=language or "en",
        title=title,
    )
    options = {key: value for key, value in gemini.items() if key != "api_key" and value}
    return analyse(request, name=analyser, api_key=gemini.get("api_key") or "", options=options)
