"""Stage: topic segments with titles, summaries and teaching importance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobs.highlights.analysers import AnalysisRequest, AnalysisResult, analyse


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
