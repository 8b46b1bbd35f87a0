"""What ffmpeg and yt-dlp can reach on a user's behalf, tried for real on 127.0.0.0/8.

The "public" site is 127.0.0.1 (allow-listed, as a public host is in production); the internal
service is 127.0.0.2 (not allow-listed), which records every request it gets. A playlist on the
public site names keys and segments on the internal one: nothing may reach it.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.intake.download import LIVE_MESSAGE, DownloadError, download
from jobs.intake.urlsafety import Allowlist
from jobs.models import Job
from jobs.tasks import run_job
from tests.factories import job_from_bytes
from tests.servers import FileServer
from transcripts.media import ffmpeg_exe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[FileServer, FileServer]]:
    """(public, internal): the internal one holds an HLS rendition of a 4 s tone and a key."""
    public_root, internal_root = tmp_path / "public", tmp_path / "internal"
    public_root.mkdir()
    internal_root.mkdir()
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=4",
         "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
         "-hls_segment_filename", str(internal_root / "seg%d.ts"), str(internal_root / "x.m3u8")],
        check=True, timeout=60,
    )  # fmt: skip
    (internal_root / "key.bin").write_bytes(b"0123456789abcdef")
    with (
        FileServer(public_root, "127.0.0.1") as public,
        FileServer(internal_root, "127.0.0.2") as internal,
    ):
        yield public, internal


def _playlist(
    public: FileServer, internal: FileServer, *, key: str | None, live: bool = False
) -> str:
    """A media playlist on the public site whose segments (and key) are on the internal one."""
    lines = []
    for line in (internal.root / "x.m3u8").read_text().splitlines():
        if live and line == "#EXT-X-ENDLIST":
            continue
        lines.append(internal.url_for(line) if line.startswith("seg") else line)
        if key and line.startswith("#EXT-X-TARGETDURATION"):
            lines.append(f'#EXT-X-KEY:METHOD={key},URI="{internal.url_for("key.bin")}"')
    name = f"{key or 'plain'}{'-live' if live else ''}.m3u8"
    (public.root / name).write_text("\n".join(lines) + "\n")
    return public.url_for(name)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        # yt-dlp hands a stream it cannot decrypt to ffmpeg, which fetched key and segments.
        ("SAMPLE-AES", "download method Lectern does not use"),
        # The native downloader fetches these itself, through the guard.
        ("AES-128", "private or internal network address"),
        (None, "private or internal network address"),
    ],
)
def test_it_fetches_no_key_or_segment_from_an_internal_address(sites, tmp_path, key, message):
    public, internal = sites
    url = _playlist(public, internal, key=key)
    with pytest.raises(DownloadError) as caught:
        download(url, tmp_path / "out", allowlist=Allowlist.parse(["127.0.0.1:*"]), max_bytes=10**8)
    # The safety property first: whatever the message, nothing reached the internal service.
    assert internal.paths == []
    assert not list((tmp_path / "out").glob("source.*"))
    assert message in str(caught.value)


def test_it_still_downloads_a_playlist_on_an_allowed_site(sites, tmp_path):
    _public, internal = sites
    url = _playlist(internal, internal, key=None)
    got = download(
        url, tmp_path / "out", allowlist=Allowlist.parse(["127.0.0.2:*"]), max_bytes=10**8
    )
    assert got.path.stat().st_size > 10_000
    assert "/seg3.ts" in internal.paths


def test_it_downloads_an_aes128_stream_on_an_allowed_site(tmp_path):
    """Lecture platforms often serve AES-128 HLS: yt-dlp decrypts it itself (pycryptodomex, its
    `default` extra), fetching key and segments through the guard, not through ffmpeg."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "key.bin").write_bytes(b"0123456789abcdef")
    with FileServer(root, "127.0.0.2") as site:
        (tmp_path / "keyinfo").write_text(f"{site.url_for('key.bin')}\n{root / 'key.bin'}\n")
        subprocess.run(
            [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=4",
             "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
             "-hls_key_info_file", str(tmp_path / "keyinfo"),
             "-hls_segment_filename", str(root / "seg%d.ts"), str(root / "enc.m3u8")],
            check=True, timeout=60,
        )  # fmt: skip
        assert "METHOD=AES-128" in (root / "enc.m3u8").read_text()
        got = download(
            site.url_for("enc.m3u8"),
            tmp_path / "out",
            allowlist=Allowlist.parse(["127.0.0.2:*"]),
            max_bytes=10**8,
        )
    assert "/key.bin" in site.paths
    assert "/seg3.ts" in site.paths
    # Decrypted: ffmpeg reads four seconds of audio from what was written.
    probe = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(got.path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    assert probe.stderr.strip() == ""


def test_it_refuses_a_live_playlist_at_once(sites, tmp_path):
    """No #EXT-X-ENDLIST: ffmpeg polled it until the job timeout."""
    _public, internal = sites
    url = _playlist(internal, internal, key=None, live=True)
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download(url, tmp_path / "out", allowlist=Allowlist.parse(["127.0.0.2:*"]), max_bytes=10**8)
    assert str(caught.value) == LIVE_MESSAGE
    assert time.monotonic() - started < 20


def test_it_stops_a_download_at_its_time_limit(tmp_path, jfk_wav):
    root = tmp_path / "slow"
    root.mkdir()
    (root / "talk.wav").write_bytes(jfk_wav.read_bytes())
    with FileServer(root, delay=0.5) as site:  # ~128 KB/s: 350 KB take ~3 s
        started = time.monotonic()
        with pytest.raises(DownloadError) as caught:
            download(
                site.url_for("talk.wav"), tmp_path / "out",
                allowlist=Allowlist.parse(["127.0.0.1:*"]), max_bytes=10**8, max_seconds=1,
            )  # fmt: skip
        assert "took longer than" in str(caught.value)
        assert time.monotonic() - started < 10


def test_it_stops_a_download_when_the_job_is_cancelled(alice, tmp_path, jfk_wav, settings):
    from jobs import services

    root = tmp_path / "slow"
    root.mkdir()
    (root / "talk.wav").write_bytes(jfk_wav.read_bytes() * 8)  # ~2.8 MB at ~128 KB/s: ~22 s
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    with FileServer(root, delay=0.5) as site:
        job = services.job_create(owner=alice, url=site.url_for("talk.wav"))
        threading.Timer(1.5, lambda: services.job_cancel(job=job)).start()
        started = time.monotonic()
        run_job(str(job.pk))
        elapsed = time.monotonic() - started
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert elapsed < 10  # stopped at the next chunk, not at the end of the download (~22 s)


LOCAL_PLAYLISTS = {
    "lecture.m3u8": lambda target: (
        f"#EXTM3U\n#EXT-X-TARGETDURATION:11\n#EXTINF:11,\n{target}\n#EXT-X-ENDLIST\n"
    ),
    "lecture.ffconcat": lambda target: f"ffconcat version 1.0\nfile '{target}'\n",
}


@pytest.mark.parametrize("name", sorted(LOCAL_PLAYLISTS))
def test_it_reads_no_server_file_named_in_an_uploaded_playlist(
    alice, bob, tmp_path, jfk_wav, media_root, name
):
    """Bob's media (an MPEG-TS of speech), named by path in a playlist Alice uploads."""
    from jobs import services

    bobs = services.job_create(
        owner=bob, upload=_upload("talk.ts", _speech_ts(tmp_path, jfk_wav)), highlights=False
    )
    target = Path(bobs.media.path)
    job = job_from_bytes(alice, name, LOCAL_PLAYLISTS[name](target).encode(), highlights=False)
    assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert "not a recognised audio or video format" in job.error
    assert not hasattr(job, "transcript") or not job.transcript.text


def _speech_ts(tmp_path: Path, jfk_wav: Path) -> bytes:
    path = tmp_path / "speech.ts"
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(jfk_wav), "-c:a", "aac",
         "-f", "mpegts", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path.read_bytes()


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_it_ends_a_cancelled_jobs_child_processes(alice, jfk_wav, settings):
    """A child that ignores SIGTERM, as ffmpeg did for > 20 s, ends within a heartbeat of Cancel."""
    import signal
    import sys

    from jobs import services
    from jobs.pipeline.worker import Heartbeat, claim
    from tests.factories import job_from_file

    job = claim(str(job_from_file(alice, jfk_wav, highlights=False).pk))
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    with Heartbeat(job.pk, every=0.2, started_at=job.started_at):
        child = subprocess.Popen([sys.executable, "-c", stubborn])
        try:
            services.job_cancel(job=job)
            deadline = time.monotonic() + 10
            while child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
                pytest.fail("the cancelled job's child process was still running after 10 s")
    assert child.returncode == -signal.SIGKILL
