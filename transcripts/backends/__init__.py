"""The backend registry: which transcription backends exist, which can run here, which to use.

Adding a backend is adding one module with a class that implements
``transcripts.backends.base.Backend`` and one line in ``_build``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from transcripts import hardware
from transcripts.backends.base import (
    Availability,
    Backend,
    BackendError,
    QuotaExceeded,
    SegmentCallback,
    TranscribeOptions,
    TranscriptionResult,
)
from transcripts.backends.faster_whisper import FasterWhisperBackend
from transcripts.backends.mlx import MLXBackend, mlx_model_for
from transcripts.backends.openai_api import OpenAIBackend
from transcripts.backends.whispercpp import WhisperCppBackend

logger = logging.getLogger(__name__)


def _build() -> dict[str, Backend]:
    backends: list[Backend] = [
        FasterWhisperBackend(
            model=settings.LECTERN_MODEL,
            cache_dir=Path(settings.CACHE_DIR),
            device=settings.LECTERN_DEVICE,
            threads=settings.LECTERN_THREADS,
            beam_size=settings.LECTERN_BEAM_SIZE,
            vad=settings.LECTERN_VAD,
        ),
        WhisperCppBackend(
            model=settings.WHISPER_CPP_MODEL,
            threads=settings.LECTERN_THREADS,
        ),
        OpenAIBackend(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL or None,  # empty: the OpenAI API itself
            model=settings.OPENAI_TRANSCRIBE_MODEL,
            timeout=settings.OPENAI_TIMEOUT,
            # The per-user monthly minutes, checked before any audio is sent.
            # Named in settings, so that transcription needs nothing from the jobs app.
            quota_check=import_string(settings.LECTERN_QUOTA_CHECK)
            if settings.LECTERN_QUOTA_CHECK
            else None,
        ),
        MLXBackend(
            model=settings.MLX_WHISPER_MODEL or mlx_model_for(settings.LECTERN_MODEL),
        ),
    ]
    return {backend.name: backend for backend in backends}


_registry: dict[str, Backend] | None = None


def registry() -> dict[str, Backend]:
    global _registry
    if _registry is None:
        _registry = _build()
    return _registry


def reset() -> None:
    """Forget the built backends (settings changed: tests, or a reload)."""
    global _registry
    _registry = None


def names() -> list[str]:
    return list(registry())


def get(name: str) -> Backend:
    try:
        return registry()[name]
    except KeyError:
        raise BackendError(
            f"Unknown transcription backend {name!r}; choose one of {', '.join(names())}."
        ) from None


def preferred_order(*, apple_silicon: bool, openai_configured: bool) -> list[str]:
    """Backend names, best first, for a machine with this hardware and configuration.

    - Apple Silicon: mlx runs on the GPU; whisper.cpp is tuned for Apple chips (NEON,
      Accelerate, Metal where its wheel is built with it), while CTranslate2 (faster-whisper)
      has no Apple GPU support, so it comes last.
    - NVIDIA: faster-whisper, which puts itself on CUDA (float16) when
      ``cuda_device_count() > 0``; pywhispercpp's wheels are CPU builds.
    - CPU only: faster-whisper again. On jfk.wav with 2 threads, int8 greedy decoding was 1.6 to
      2.0 times faster than whisper.cpp's greedy (2.0 to 2.6 times with word timings on both),
      and its default beam of 5 still 1.0 to 1.5 times faster; on the bench's 2-minute clip,
      greedy against greedy, 1.6 (tiny.en) to 2.1 (base) times (docs/benchmarks.md). The NVIDIA
      and CPU orders are therefore the same.
    - A configured OpenAI key goes first: setting it is the operator's explicit choice to send
      audio out and pay for the hosted model, and the local backends stay behind it as the
      fallback when the API is down, slow or refuses.
    """
    if apple_silicon:
        local = ["mlx", "whispercpp", "faster-whisper"]
    else:
        local = ["faster-whisper", "whispercpp", "mlx"]
    return ["openai", *local] if openai_configured else [*local, "openai"]


def preference() -> list[Backend]:
    """Every backend, best first for this machine."""

    backends = registry()
    openai = backends.get("openai")
    order = preferred_order(
        apple_silicon=hardware.is_apple_silicon(),
        openai_configured=bool(getattr(openai, "api_key", "")),
    )
    ranked = [backends[name] for name in order if name in backends]
    # Backends this list does not know (added later, or by a test) keep their registry order.
    return ranked + [backend for name, backend in backends.items() if name not in order]


def report(forced: str | None = None) -> list[tuple[str, Availability, bool]]:
    """(name, availability, chosen) for every backend, best first: what `manage.py backends` shows.

    ``chosen`` marks the backend a job would start with (``LECTERN_BACKEND`` or ``forced`` if set).
    """
    try:
        first = chosen(forced)
    except BackendError:  # LECTERN_BACKEND names no backend: nothing is chosen
        first = None
    return [
        (backend.name, backend.availability(), first is not None and backend.name == first.name)
        for backend in preference()
    ]


def chain(forced: str | None = None) -> list[Backend]:
    """The backends to try, in order: the forced one alone, or every available one, best first."""
    forced = forced or settings.LECTERN_BACKEND or None
    if forced:
        return [get(forced)]
    return [backend for backend in preference() if backend.availability().ok]


def chosen(forced: str | None = None) -> Backend | None:
    backends = chain(forced)
    return backends[0] if backends else None


@dataclass
class Outcome:
    result: TranscriptionResult
    # One line per backend that was tried and failed before ``result.backend`` succeeded.
    fallbacks: list[str] = field(default_factory=list)


def transcribe(
    audio: Path,
    options: TranscribeOptions,
    *,
    forced: str | None = None,
    on_segment: SegmentCallback | None = None,
    on_fallback: Callable[[str, str], None] | None = None,
) -> Outcome:
    """Transcribe with the best backend, falling back to the next when one fails."""
    backends = chain(forced)
    if not backends:
        raise BackendError("No transcription backend is available on this machine.")
    failures: list[str] = []
    for backend in backends:
        available = backend.availability()
        if not available.ok:
            failures.append(f"{backend.name}: not available ({available.reason})")
            continue
        try:
            result = backend.transcribe(audio, options, on_segment)
        except QuotaExceeded:
            # Over the limit of a metered backend: a local one may still do the work, unless the
            # user asked for this backend only, in which case they are told why.
            if len(backends) == 1:
                raise
            logger.info("backend %s refused by quota; trying the next", backend.name)
            failures.append(f"{backend.name}: monthly quota reached")
            continue
        except BackendError as exc:
            logger.warning("backend %s failed: %s", backend.name, exc)
            failures.append(f"{backend.name}: {exc}")
            if on_fallback is not None:
                on_fallback(backend.name, str(exc))
            continue
        return Outcome(result=result, fallbacks=failures)
    raise BackendError("Every transcription backend failed. " + " ".join(failures))
