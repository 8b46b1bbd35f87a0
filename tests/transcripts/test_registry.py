"""The backend registry: what it builds from settings, the order it prefers, how it falls back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from transcripts import backends
from transcripts.backends import preferred_order
from transcripts.backends.base import (
    Availability,
    BackendError,
    QuotaExceeded,
    SegmentCallback,
    SegmentResult,
    TranscribeOptions,
    TranscriptionResult,
)


@dataclass
class ScriptedBackend:
    """A backend that fails with ``error`` or returns one segment, and counts its calls."""

    name: str
    error: Exception | None = None
    ok: bool = True
    calls: list[Path] = field(default_factory=list)

    def availability(self) -> Availability:
        return Availability(self.ok, "ready" if self.ok else "switched off")

    def model_name(self, options: TranscribeOptions) -> str:
        return "scripted"

    def transcribe(
        self, audio: Path, options: TranscribeOptions, on_segment: SegmentCallback | None = None
    ) -> TranscriptionResult:
        self.calls.append(audio)
        if self.error is not None:
            raise self.error
        segment = SegmentResult(0.0, 1.0, f"from {self.name}")
        return TranscriptionResult("en", 1.0, [segment], backend=self.name, model="scripted")


@pytest.fixture
def scripted(settings):
    """Install backends in the registry, in preference order, with nothing forced."""
    settings.LECTERN_BACKEND = ""

    def install(*items: ScriptedBackend) -> None:
        backends._registry = {item.name: item for item in items}

    return install


def test_it_falls_back_when_a_backend_fails(scripted, tmp_path):
    broken = ScriptedBackend("first", error=BackendError("The model crashed on this audio."))
    working = ScriptedBackend("second")
    scripted(broken, working)
    told = []

    outcome = backends.transcribe(
        tmp_path / "a.wav",
        TranscribeOptions(),
        on_fallback=lambda name, why: told.append((name, why)),
    )

    assert outcome.result.backend == "second"
    assert outcome.fallbacks == ["first: The model crashed on this audio."]
    assert told == [("first", "The model crashed on this audio.")]
    assert len(broken.calls) == len(working.calls) == 1


def test_it_skips_unavailable_backends(scripted, tmp_path):
    scripted(ScriptedBackend("off", ok=False), ScriptedBackend("on"))

    outcome = backends.transcribe(tmp_path / "a.wav", TranscribeOptions())

    assert outcome.result.backend == "on"
    assert [b.name for b in backends.chain()] == ["on"]


def test_it_falls_back_past_a_quota_unless_the_backend_was_forced(scripted, tmp_path):
    metered = ScriptedBackend("metered", error=QuotaExceeded("Monthly minutes used up."))
    local = ScriptedBackend("local")
    scripted(metered, local)

    outcome = backends.transcribe(tmp_path / "a.wav", TranscribeOptions())
    assert outcome.result.backend == "local"
    assert outcome.fallbacks == ["metered: monthly quota reached"]

    # Forced, the user is told why instead.
    with pytest.raises(QuotaExceeded, match="Monthly minutes"):
        backends.transcribe(tmp_path / "a.wav", TranscribeOptions(), forced="metered")


def test_it_reports_every_failure_when_all_fail(scripted, tmp_path):
    scripted(
        ScriptedBackend("a", error=BackendError("A broke.")),
        ScriptedBackend("b", error=BackendError("B broke.")),
    )

    with pytest.raises(BackendError, match=r"Every transcription backend failed\. a: A broke\."):
        backends.transcribe(tmp_path / "a.wav", TranscribeOptions())


def test_it_prefers_backends_by_hardware_and_configuration():
    cpu = preferred_order(apple_silicon=False, openai_configured=False)
    mac = preferred_order(apple_silicon=True, openai_configured=False)
    keyed = preferred_order(apple_silicon=False, openai_configured=True)

    assert cpu == ["faster-whisper", "whispercpp", "mlx", "openai"]
    assert mac == ["mlx", "whispercpp", "faster-whisper", "openai"]
    assert keyed == ["openai", "faster-whisper", "whispercpp", "mlx"]


def test_it_builds_every_backend_from_settings(settings, ggml_tiny_en):
    settings.LECTERN_BACKEND = ""
    settings.LECTERN_THREADS = 2
    settings.WHISPER_CPP_MODEL = str(ggml_tiny_en)
    settings.OPENAI_API_KEY = "sk-test"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.OPENAI_TRANSCRIBE_MODEL = "whisper-large-v3"
    settings.OPENAI_TIMEOUT = 42

    built = backends.registry()

    assert set(built) == {"faster-whisper", "whispercpp", "openai", "mlx"}
    assert built["whispercpp"].model == str(ggml_tiny_en) and built["whispercpp"].threads == 2
    openai = built["openai"]
    assert (openai.api_key, openai.base_url, openai.model, openai.timeout) == (
        "sk-test",
        "http://127.0.0.1:9/v1",
        "whisper-large-v3",
        42.0,
    )
    from jobs.accounts.usage import check_metered_quota

    assert openai.quota_check is check_metered_quota
    # Off a Mac, with a key: the API first, then the local backends that can run here.
    assert [b.name for b in backends.chain()] == ["openai", "faster-whisper", "whispercpp"]


def test_it_reports_availability_and_the_chosen_backend(scripted):
    scripted(ScriptedBackend("off", ok=False), ScriptedBackend("on"), ScriptedBackend("spare"))

    rows = backends.report()

    assert [(name, available.ok, chosen) for name, available, chosen in rows] == [
        ("off", False, False),
        ("on", True, True),
        ("spare", True, False),
    ]
    assert rows[0][1].reason == "switched off"
    assert [chosen for _, _, chosen in backends.report(forced="spare")] == [False, False, True]
    assert not any(chosen for _, _, chosen in backends.report(forced="nonexistent"))


def test_it_describes_the_hardware():
    from transcripts import hardware

    assert hardware.cpu_count() >= 1
    assert "cores" in hardware.describe()
    assert hardware.is_apple_silicon() is False or hardware.describe().startswith("Apple")
