"""Fair queueing: how long one person's first job waits behind another person's backlog.

Two users: the first queues ``BACKLOG`` jobs (30), then the second queues one. One worker takes
the ``run_job`` tasks from the django-q2 broker in the order they were sent, as a one-worker cluster
does, and runs each the way the task does: today's fair pick (``jobs.tasks.run_job``: the next fair
job, picked in the database) and, as the reference in the same run, the old meaning of a task, run
its own job (``worker.claim(job_id)``), which is arrival order. Each job is real: ``job_create`` with
a distinct 2 s clip of speech, transcribed by faster-whisper tiny.en on this machine.

Figures: the second user's wait (from the send of his job to its start), in seconds and in jobs
run before his; the same in arrival order; and the time to drain all the jobs in both orders
(fairness must not slow the queue down).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import env
from bench.scaleout import speech_clips

COMMAND = ".venv/bin/python -m bench.run --only fairness"
BACKLOG = 30
CLIP_SECONDS = 2.0


def _create(owner: Any, path: Path) -> Any:
    from django.core.files.uploadedfile import UploadedFile

    from jobs.services import job_create

    with open(path, "rb") as handle:
        upload = UploadedFile(
            file=handle, name=path.name, content_type="audio/wav", size=path.stat().st_size
        )
        return job_create(owner=owner, upload=upload, highlights=False)


def _drain(fair: bool) -> int:
    """Take every waiting task from the broker in order and run it; how many ran a job."""
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    from jobs import tasks
    from jobs.pipeline import worker

    broker = get_broker()
    ran = 0
    while pulled := broker.dequeue():
        for task_id, payload in pulled:
            task = SignedPackage.loads(payload)
            broker.acknowledge(task_id)
            if task.get("func") != "jobs.tasks.run_job":
                continue
            job_id = str(task["args"][0])
            if fair:
                done = tasks.run_job(job_id)
            else:  # the old meaning of a task: its own job, so the queue runs in arrival order
                claimed = worker.claim(job_id)
                done = worker.run_claimed(claimed).status if claimed else None
            ran += done is not None
    return ran


def _round(fair: bool, clips: list[Path], label: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from jobs.models import Job

    users = get_user_model().objects
    backlog_owner = users.create_user(f"backlog-{label}")
    newcomer = users.create_user(f"newcomer-{label}")
    began = time.perf_counter()
    for clip in clips[:-1]:
        _create(backlog_owner, clip)
    first = _create(newcomer, clips[-1])
    ran = _drain(fair)
    drained = time.perf_counter() - began
    first.refresh_from_db()
    jobs = list(Job.objects.filter(owner__in=[backlog_owner, newcomer]).order_by("started_at"))
    lengths = [(job.finished_at - job.started_at).total_seconds() for job in jobs]
    ahead = [job for job in jobs if job.started_at < first.started_at]
    return {
        "jobs": len(jobs),
        "ran": ran,
        "succeeded": sum(job.status == Job.Status.SUCCEEDED for job in jobs),
        "first_job_wait_seconds": (first.started_at - first.created_at).total_seconds(),
        "jobs_before_first_job": len(ahead),
        "job_seconds_mean": sum(lengths) / len(lengths),
        "drain_seconds": drained,
    }


def measure(quick: bool = False) -> dict[str, Any]:
    backlog = 8 if quick else BACKLOG
    from django.conf import settings

    clips = speech_clips(
        Path(settings.DATA_DIR) / "fairness-clips", 2 * (backlog + 1), CLIP_SECONDS
    )
    # The cap on active jobs must let the backlog in: the bench measures the order, not the cap.
    settings.MAX_ACTIVE_JOBS_PER_USER = max(settings.MAX_ACTIVE_JOBS_PER_USER, backlog)
    reference = _round(False, clips[: backlog + 1], "arrival")
    fair = _round(True, clips[backlog + 1 :], "fair")
    return {
        "command": COMMAND,
        "backlog": backlog,
        "clip_seconds": CLIP_SECONDS,
        "model": env.MODEL,
        "fair": fair,
        "arrival_order": reference,
        "wait_ratio": fair["first_job_wait_seconds"] / reference["first_job_wait_seconds"],
        "drain_ratio": fair["drain_seconds"] / reference["drain_seconds"],
    }
