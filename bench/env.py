"""A throwaway Lectern: its own data folder and SQLite database, so the bench never touches var/."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transcripts.backends.faster_whisper import FasterWhisperBackend

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "var" / "cache"  # the checkout's model cache: the joined base model is kept there
MODEL = "tiny.en"  # affordable on a 2-core CPU; the app's default is base


def prepare(data_dir: Path | None = None) -> Path:
    """Point this process (and every child it starts) at a fresh data folder, and migrate it."""
    folder = data_dir or Path(tempfile.mkdtemp(prefix="lectern-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LECTERN_DATA_DIR": str(folder),
            # The joined base model lives in the checkout's cache; do not join it again.
            "LECTERN_CACHE_DIR": str(CACHE),
            "LECTERN_MODEL": MODEL,
            "LECTERN_BACKEND": "faster-whisper",
            "LECTERN_LOG_LEVEL": "WARNING",
            "LECTERN_MIN_FREE_DISK_MB": "0",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return folder


def loaded_backend(model: str) -> FasterWhisperBackend:
    """faster-whisper with ``model``, beam 5, all cores, its weights loaded: a raw backend call."""
    from transcripts.backends.faster_whisper import FasterWhisperBackend

    backend = FasterWhisperBackend(model=model, cache_dir=CACHE, beam_size=5)
    backend.load()
    return backend


def manage(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """``manage.py ARGS`` in a child process with this process's environment."""
    handle = open(log, "ab")  # noqa: SIM115 - the child owns it until it ends
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], wait: float = 20.0) -> None:
    """SIGTERM the child's process group (the cluster's workers too), then SIGKILL if it lingers."""
    import signal

    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=wait)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: object, timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return True
        time.sleep(every)
    return False


def bench_user() -> object:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench")
    return user


def enqueue(path: Path, *, highlights: bool = False) -> str:
    """Create a job for ``path`` the way an upload does (``job_create``); returns its id."""
    from django.core.files.uploadedfile import UploadedFile

    from jobs.services import job_create

    with open(path, "rb") as handle:
        upload = UploadedFile(
            file=handle, name=path.name, content_type="audio/wav", size=path.stat().st_size
        )
        job = job_create(owner=bench_user(), upload=upload, highlights=highlights)  # type: ignore[arg-type]
    return str(job.pk)


def job_status(job_id: str) -> str:
    from jobs.models import Job

    return str(Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or "")
