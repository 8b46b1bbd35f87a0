from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


class _Handler(http.server.SimpleHTTPRequestHandler):
    redirects: dict[str, str] = {}

    def do_GET(self) -> None:
        target = self.redirects.get(self.path)
        if target:
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@dataclass
class MediaSite:
    """A tiny video site on a loopback address: files from a folder, plus redirects."""

    root: Path
    host: str
    port: int
    redirects: dict[str, str]

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}/{path.lstrip('/')}"


def _serve(root: Path, host: str) -> tuple[http.server.ThreadingHTTPServer, MediaSite]:
    redirects: dict[str, str] = {}
    handler = type("Handler", (_Handler,), {"redirects": redirects})
    server = http.server.ThreadingHTTPServer(
        (host, 0), functools.partial(handler, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, MediaSite(root, host, server.server_address[1], redirects)


@pytest.fixture
def media_site(tmp_path: Path, jfk_wav: Path) -> Iterator[MediaSite]:
    from tests.synth import tone_video

    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(jfk_wav, root / "jfk.wav")
    tone_video(root / "pattern.mp4", seconds=2)
    (root / "about.html").write_text("<html><body><h1>No video here</h1></body></html>")
    server, site = _serve(root, "127.0.0.1")
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


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
def second_site(tmp_path: Path) -> Iterator[MediaSite]:
    """Another loopback host (127.0.0.2), to test redirects between hosts."""
    root = tmp_path / "second"
    root.mkdir()
    server, site = _serve(root, "127.0.0.2")
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
