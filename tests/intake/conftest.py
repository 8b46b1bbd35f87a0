"""Loopback video sites for links: files from a folder, plus redirects (tests/servers.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import FileServer


@pytest.fixture
def media_site(tmp_path: Path, jfk_wav: Path) -> Iterator[FileServer]:
    """A tiny video site on 127.0.0.1: jfk.wav, a 2 s video and a page without media."""
    from tests.synth import tone_video

    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(jfk_wav, root / "jfk.wav")
    tone_video(root / "pattern.mp4", seconds=2)
    (root / "about.html").write_text("<html><body><h1>No video here</h1></body></html>")
    with FileServer(root, "127.0.0.1") as site:
        yield site


@pytest.fixture
def speech_video(tmp_path: Path, jfk_wav: Path) -> Path:
    """jfk.wav as the soundtrack of a small MP4, like a lecture recording a site would serve."""
    import subprocess

    from transcripts.media import ffmpeg_exe

    path = tmp_path / "jfk.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "color=c=navy:s=320x180:r=5",
         "-i", str(jfk_wav), "-t", "11", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture
def second_site(tmp_path: Path) -> Iterator[FileServer]:
    """Another loopback host (127.0.0.2), to test redirects between hosts."""
    root = tmp_path / "second"
    root.mkdir()
    with FileServer(root, "127.0.0.2") as site:
        yield site
