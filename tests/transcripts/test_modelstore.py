"""The bundled models are the files recorded: a changed file is refused with a clear message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from transcripts import modelstore


def test_it_accepts_the_bundled_tiny_model_as_installed():
    modelstore.verify(modelstore.tiny_en_dir(), modelstore.CHECKSUMS["tiny.en"])


def test_it_refuses_a_model_file_that_was_changed(tmp_path: Path):
    copy = tmp_path / "tiny"
    shutil.copytree(modelstore.tiny_en_dir(), copy)
    vocabulary = copy / "vocabulary.txt"
    vocabulary.write_text(vocabulary.read_text().replace("the", "teh", 1))
    with pytest.raises(modelstore.ModelChecksumMismatch) as caught:
        modelstore.verify(copy, modelstore.CHECKSUMS["tiny.en"])
    assert "vocabulary.txt does not match its recorded SHA-256" in str(caught.value)


def test_it_joins_the_base_model_again_when_its_cached_copy_was_changed(tmp_path: Path):
    first = Path(modelstore.resolve("base", tmp_path))
    model = first / "model.bin"
    with open(model, "r+b") as handle:  # same size, one byte different
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    again = Path(modelstore.resolve("base", tmp_path))
    modelstore.verify(again, modelstore.CHECKSUMS["base"])


def test_it_says_why_a_backend_cannot_load_a_changed_model(tmp_path: Path, monkeypatch):
    from transcripts.backends.base import BackendUnavailable
    from transcripts.backends.faster_whisper import FasterWhisperBackend

    copy = tmp_path / "tiny"
    shutil.copytree(modelstore.tiny_en_dir(), copy)
    (copy / "config.json").write_text("{}")
    # The package directory is where a changed install would be: point the lookup at the copy.
    monkeypatch.setattr(modelstore, "tiny_en_dir", lambda: copy)
    # An unusual thread count: a model this process loaded before is not reused.
    backend = FasterWhisperBackend(model="tiny.en", cache_dir=tmp_path / "cache", threads=7)
    with pytest.raises(BackendUnavailable) as caught:
        backend.load()
    assert "config.json does not match its recorded SHA-256" in str(caught.value)
