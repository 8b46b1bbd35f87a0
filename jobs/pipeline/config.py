"""The runner's settings, read from Django's settings in one place for the worker and the CLI."""

from __future__ import annotations

from django.conf import settings

from jobs.highlights.run import HighlightOptions
from jobs.intake import rules
from jobs.pipeline.runner import RunSettings
from jobs.study.services import notes_model


def run_settings() -> RunSettings:
    return RunSettings(
        limits=rules.limits(),
        allowlist=rules.allowlist(),
        slide_prompt=bool(settings.LECTERN_SLIDE_PROMPT),
        tesseract=settings.LECTERN_TESSERACT,
        layout_timeout=settings.JOB_TIMEOUT,
        highlights=HighlightOptions.from_settings(settings.HIGHLIGHTS, settings.GEMINI),
        notes_model=notes_model(),
    )
