"""Transcription overhead: the raw backend call against the whole job through a real worker.

The raw call runs in this process with the model already loaded. The job goes through
``job_create`` (hash, copy, ``transaction.on_commit`` enqueue) and django-q2's ORM broker to a
``manage.py qcluster`` worker, which fetches, extracts, transcribes and stores; the clock stops
when this process sees the row ``succeeded``. Both use the same settings (``tiny.en``, beam 5,
VAD, all cores). The worker is warmed with a short job first, so that both sides have the model
in memory; each repeat deletes the previous jobs so the transcript cache cannot answer.

While a job runs, this process also watches for its first line: the seconds from the moment the
job's stage says ``transcribe`` to the first stored (draft) segment, and that time's share of the
job (the page shows lines as they are decoded).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import env
from bench.corpus import Corpus
from bench.stats import Series, ratio, timed
from transcripts.backends.base import TranscribeOptions
from transcripts.backends.faster_whisper import FasterWhisperBackend

COMMAND = ".venv/bin/python -m bench.run --only transcription"


def raw_backend() -> FasterWhisperBackend:
    # What transcripts.backends builds from the settings that env.prepare() sets.
    return FasterWhisperBackend(
        model=env.MODEL, cache_dir=env.CACHE, threads=0, beam_size=5, vad=True
    )


def run_job(path: Path, timeout: float) -> tuple[float, dict[str, Any]]:
    from jobs.models import Job
    from transcripts.models import Segment

    Job.objects.all().delete()  # the cache must not answer from an earlier repeat
    seen: dict[str, float] = {}

    def done(job_id: str) -> bool:
        # Watch for transcription's start and its first stored line as the job runs.
        now = time.perf_counter()
        if "transcribe" not in seen and Job.objects.filter(pk=job_id, stage="transcribe").exists():
            seen["transcribe"] = now
        if "first_line" not in seen and Segment.objects.filter(transcript__job_id=job_id).exists():
            seen["first_line"] = now
        return env.job_status(job_id) in ("succeeded", "failed")

    began = time.perf_counter()
    seconds, job_id = timed(
        lambda: ((job := env.enqueue(path)), env.wait_until(lambda: done(job), timeout, 0.02))[0]
    )
    job = Job.objects.get(pk=job_id)
    if job.status != Job.Status.SUCCEEDED:
        raise RuntimeError(f"bench job ended {job.status}: {job.error} {job.error_detail[-500:]}")
    inner = job.duration / job.realtime_factor if job.realtime_factor else None
    first = None
    if "first_line" in seen:
        first = seen["first_line"] - seen.get("transcribe", began)
    return seconds, {
        "backend_seconds_in_worker": inner,
        "backend": job.backend,
        "first_line_seconds": first,
    }


def measure(corpus: Corpus, data_dir: Path, repeats: int) -> dict[str, Any]:
    backend = raw_backend()
    backend.load()
    options = TranscribeOptions(language=None, task="transcribe")
    worker = env.manage("qcluster", log=data_dir / "worker.log")
    try:
        warm = env.REPO.parent / "shared" / "media" / "jfk.wav"
        run_job(warm, timeout=300)  # loads the model in the worker process
        raw: list[float] = []
        job: list[float] = []
        inner: list[float] = []
        first_line: list[float] = []
        first_share: list[float] = []
        for index in range(repeats):
            # Alternate the order, so a burst of load from the shared machine hits both sides.
            order = ("raw", "job") if index % 2 == 0 else ("job", "raw")
            for side in order:
                if side == "raw":
                    seconds, _ = timed(lambda: backend.transcribe(corpus.path, options))
                    raw.append(seconds)
                else:
                    seconds, extra = run_job(corpus.path, timeout=max(600, corpus.duration * 2))
                    job.append(seconds)
                    if extra["backend_seconds_in_worker"]:
                        inner.append(extra["backend_seconds_in_worker"])
                    if extra["first_line_seconds"] is not None:
                        first_line.append(extra["first_line_seconds"])
                        first_share.append(extra["first_line_seconds"] / seconds)
    finally:
        env.stop(worker)
    raw_s, job_s = Series(raw), Series(job)
    return {
        "command": COMMAND,
        "model": env.MODEL,
        "audio_seconds": corpus.duration,
        "raw_seconds": raw_s.to_dict(),
        "job_seconds": job_s.to_dict(),
        "worker_backend_seconds": Series(inner).to_dict() if inner else None,
        "job_over_raw": ratio(job_s, raw_s),
        "raw_realtime": corpus.duration / raw_s.median,
        "job_realtime": corpus.duration / job_s.median,
        "goal": "job ≤ 1.10× raw",
        # From the job's stage turning to transcribe to its first stored line, and that time's
        # share of the whole job: how soon the page has something to read.
        "first_line_seconds": Series(first_line).to_dict() if first_line else None,
        "first_line_share": Series(first_share).to_dict() if first_share else None,
    }
