"""A worker killed (``kill -9``) in the middle of a job on object storage: nothing is lost, and
nothing it left trips up the worker that takes the job over.

The first worker is a process of its own, configured by environment variables as an operator
would (the bucket, its own scratch folder, the test's SQLite database file); the second is this
test process, after the sweeper has put the job back in the queue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from jobs.models import Job
from jobs.pipeline import sweeper
from jobs.tasks import run_job
from tests.factories import job_from_file
from tests.storage.conftest import files_under

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parents[2]


def _long_speech(jfk_wav: Path, target: Path, times: int) -> Path:
    with wave.open(str(jfk_wav)) as source:
        params, frames = source.getparams(), source.readframes(source.getnframes())
    with wave.open(str(target), "wb") as out:
        out.setparams(params)
        out.writeframes(frames * times)
    return target


def _wait(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)
    return value


def test_it_loses_nothing_when_a_worker_is_killed_mid_job(
    alice, bucket, media_root, settings, tmp_path, jfk_wav
):
    if connection.vendor != "sqlite":
        pytest.skip("hands the test's SQLite file to the worker process")
    settings.LECTERN_MODEL = "tiny.en"
    # 4 times JFK (44 s): far more than the worker can transcribe between the stage change and the
    # kill (tenths of a second), and a third of the 12 times it was, which the second run paid for.
    job = job_from_file(alice, _long_speech(jfk_wav, tmp_path / "long.wav", 4), name="long.wav")
    scratch = Path(settings.LECTERN_SCRATCH_DIR)
    env = {
        **os.environ,
        **bucket.env(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "LECTERN_DATA_DIR": str(tmp_path / "worker-data"),
        "LECTERN_MEDIA_ROOT": str(media_root),
        "LECTERN_SCRATCH_DIR": str(scratch),
        "LECTERN_MODEL": "tiny.en",
        "LECTERN_BACKEND": "faster-whisper",
        "LECTERN_THREADS": "1",
        "EMAIL_URL": "locmem://",
    }
    code = (
        f"import django; django.setup(); from jobs.tasks import run_job; run_job({str(job.pk)!r})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, stderr=subprocess.PIPE
    )
    try:
        _wait(
            lambda: Job.objects.filter(pk=job.pk, stage=Job.Stage.TRANSCRIBE).exists(),
            timeout=120,
            what="the worker to start transcribing",
        )
        left = files_under(scratch)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Killed mid-job: its scratch folder stays behind, the job is still "running".
    assert any(name.endswith("audio.wav") for name in left), left
    assert files_under(scratch)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.worker.endswith(f":{process.pid}")

    # No more heartbeats: the sweeper puts the job back in the queue, another worker takes it.
    later = timezone.now() + timedelta(seconds=settings.LECTERN_STALE_AFTER_SECONDS + 60)
    assert sweeper.sweep_stale_jobs(now=later).requeued == [str(job.pk)]
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    assert job.attempts == 2 and job.transcript.segments.count() >= 4
    assert files_under(scratch) == []  # the dead worker's folder too
    assert files_under(media_root) == []
    assert bucket.keys() == [job.media.name]
