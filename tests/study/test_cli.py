"""``manage.py transcribe --notes``: the command line writes the study notes too (FileStore)."""

from __future__ import annotations

from django.core.management import call_command


def test_it_writes_the_study_notes_as_markdown(jfk_wav, tmp_path, settings):
    settings.LECTERN_MODEL = "tiny.en"
    notes = tmp_path / "jfk-notes.md"
    call_command("transcribe", str(jfk_wav), "-o", str(tmp_path / "jfk.txt"), "--notes", str(notes))

    text = notes.read_text()
    assert text.startswith("# Study notes: jfk\n")
    assert "## Key points" in text and "(jfk.wav#t=" in text
    assert "ask not what your country" in text.lower()
