"""The worker's side of a job: claim it, run the runner with ORM persistence, record the end.

Claiming is atomic, a heartbeat shows the worker is alive, progress is saved as it goes and a
cancellation is noticed there. Whatever goes wrong ends the job ``failed`` with a sentence the user
can read (the technical detail is kept for staff), and touches no other job.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, QuerySet
from django.utils import timezone

from jobs.models import Job
from jobs.pipeline import runner
from jobs.pipeline.children import descendants, kill_descendants
from jobs.pipeline.config import run_settings
from jobs.pipeline.plans import PLAN_TRANSCRIPT, Plan, spans
from jobs.pipeline.rerender import render_clips_again
from jobs.pipeline.runner import Request
from jobs.pipeline.scratch import Workspace, workspace
from jobs.pipeline.shutdown import WorkerStopping, requeue_on_sigterm, stop_requested
from jobs.pipeline.store import JobStore
from jobs.selectors import fair_queue
from jobs.storage.objects import delete_job_files
from transcripts.backends.base import BackendError
from transcripts.media import MediaError

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10  # the default of settings.LECTERN_HEARTBEAT_SECONDS


class JobCancelled(Exception):
    """The job was cancelled (or taken away) while it ran."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(job_id: str) -> Job | None:
    """Take a queued job for this worker; ``None`` when another worker has it or it is over.

    A conditional UPDATE, so that a queue that delivers a task twice cannot run a job twice.
    """
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        stage=Job.Stage.FETCH,
        progress=0,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=F("attempts") + 1,
        worker=worker_name(),
        error="",
        error_detail="",
    )
    if not taken:
        return None
    return Job.objects.select_related("owner").get(pk=job_id)


def claim_next(prefer: object = None) -> Job | None:
    """Take the queued job that fairness says is next (``selectors.fair_queue``), or None.

    A task no longer means "run this job" but "run the next fair job": each job still queues one
    task when it enters the queue, so there are as many tasks as queued jobs, and each task runs
    one job at most (the task's job, ``prefer``, only breaks a tie between owners). The pick is a
    read; the claim is ``claim``'s conditional UPDATE, so two workers that pick the same job
    cannot both run it: the loser takes the next in line.
    """
    if not connection.in_atomic_block:  # never close a connection under a caller's transaction
        close_old_connections()
    for _ in range(3):  # a burst of workers may take every candidate of one read
        candidates = fair_queue(prefer=prefer)
        for candidate in candidates:
            job = claim(str(candidate))
            if job is not None:
                return job
        if not candidates:
            break
    logger.info(
        "job %s not claimed (taken, finished or cancelled); no other queued job was free", prefer
    )
    return None


class Heartbeat:
    """Touches ``heartbeat_at`` while the job runs, so a sweeper can tell a live worker from a dead one."""

    def __init__(
        self, job_id: object, every: float | None = None, *, started_at: object = None
    ) -> None:
        self.job_id = job_id
        self.every = every or settings.LECTERN_HEARTBEAT_SECONDS
        # Beat only for our own claim: a job the sweeper gave to another worker is not ours.
        self.claim = {"started_at": started_at} if started_at else {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{job_id}")

    def __enter__(self) -> Heartbeat:
        self._spare = frozenset(descendants())  # not started by this job
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    ours = Job.objects.filter(
                        pk=self.job_id, status=Job.Status.RUNNING, **self.claim
                    )
                    if not ours.update(heartbeat_at=timezone.now()):
                        # Cancelled (or taken away): a job blocked in ffmpeg would only notice
                        # when ffmpeg ends, so its children are ended now.
                        kill_descendants(
                            reason=f"job {self.job_id} is no longer ours", spare=self._spare
                        )
                except Exception:  # never take the job down; a database restart must not
                    # stop the beats for good either, or the sweeper would requeue a live job
                    logger.warning("heartbeat failed for job %s", self.job_id, exc_info=True)
                    connection.close()  # reconnect at the next beat
        finally:
            connection.close()


class Progress:
    """Saves stage and progress, at most once a second, and notices a cancellation."""

    def __init__(self, job: Job, min_interval: float = 1.0) -> None:
        self.job = job
        self.min_interval = min_interval
        self.spans = spans(PLAN_TRANSCRIPT)
        self._last_write = 0.0
        self._last_value = -1

    def plan(self, plan: Plan) -> None:
        self.spans = spans(plan)

    def stage(self, stage: str) -> None:
        self.job.stage = stage
        # Never move the bar backwards when the plan changes under a running stage.
        self._write(max(self.spans[stage][0], self.job.progress), force=True)

    def fraction(self, done: float) -> None:
        low, high = self.spans[self.job.stage]
        self._write(int(low + (high - low) * max(0.0, min(1.0, done))))

    def _write(self, value: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and (value == self._last_value or now - self._last_write < self.min_interval):
            return
        changed = _ours(self.job).update(
            stage=self.job.stage, progress=value, heartbeat_at=timezone.now()
        )
        if not changed:
            raise JobCancelled()
        self.job.progress = value
        self._last_value = value
        self._last_write = now


def _ours(job: Job) -> QuerySet[Job]:
    """The job while this worker's claim holds: running, and started by us (``started_at``).

    Once the sweeper has put the job back in the queue and another worker has claimed it, a worker
    that was only frozen (not dead) finds nothing here and stops as if cancelled.
    """
    return Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, started_at=job.started_at)


def run(job_id: str | None = None, *, notify: Callable[[Job], None] | None = None) -> Job | None:
    """Claim the next fair job (``claim_next``; ``job_id``, the job whose task asks, breaks a tie
    between owners) and run it to the end. Returns the job that ran, or None when none was left.
    """
    job = claim_next(prefer=job_id)
    return None if job is None else run_claimed(job, notify=notify)


def run_claimed(job: Job, *, notify: Callable[[Job], None] | None = None) -> Job | None:
    """Run a job this worker claimed to the end. Returns the job, or None if it was deleted."""
    logger.info("job %s started (attempt %s) on %s", job.pk, job.attempts, job.worker)
    # A SIGTERM puts the job back in the queue before the worker goes (jobs.pipeline.shutdown).
    with requeue_on_sigterm(job), Heartbeat(job.pk, started_at=job.started_at):
        try:
            _run_stages(job, Progress(job))
        except JobCancelled:
            logger.info("job %s cancelled while running", job.pk)
        except (MediaError, BackendError) as exc:
            if stop_requested():  # the failure is the interrupted stop, not the job's own
                raise WorkerStopping() from exc
            _finish_failed(
                job, str(exc), traceback.format_exc(), retryable=not _fails_on_its_file(job, exc)
            )
        except Exception as exc:
            if stop_requested():
                raise WorkerStopping() from exc
            logger.exception("job %s crashed", job.pk)
            _finish_failed(
                job,
                "Something went wrong on our side while processing this file. "
                "You can retry it; if it fails again, contact the site's staff.",
                f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}",
            )
    if not Job.objects.filter(pk=job.pk).exists():
        # Deleted while it ran: what the run wrote after the deletion removed the job's files
        # (an object published, a folder made again) goes too.
        delete_job_files(job.media_dir())
        logger.info("job %s was deleted while it ran; its files are removed", job.pk)
        return None
    job.refresh_from_db()
    if job.is_finished and job.status != Job.Status.CANCELLED and notify is not None:
        try:
            notify(job)
        except Exception:
            logger.exception("could not notify the owner of job %s", job.pk)
    return job


def _request(job: Job, space: Workspace) -> Request:
    if job.source_kind == Job.Source.URL:
        source: Path | str = job.source_url
    elif job.media:
        source = space.local(job.media.name)  # fetched from the bucket into the scratch folder
    else:
        raise MediaError("This job has no media file.")
    return Request(
        source=source,
        folder=space.folder(job),
        title=job.title,
        language=job.transcription_language,
        task=job.task,
        model=job.model or None,
        prompt=job.prompt or None,
        backend=job.requested_backend or None,
        user_id=job.owner_id,
        diarize=job.diarize,
        speakers=job.speakers,
        highlights=job.highlights,  # None: for a video
        clip_layout=job.clip_layout,
    )


def _run_stages(job: Job, progress: Progress) -> None:
    # On a bucket the run works in this worker's own scratch folder, removed when it ends.
    with workspace(job) as space:
        try:
            done = runner.run(_request(job, space), run_settings(), JobStore(job, space), progress)
        finally:
            # Nothing extracted outlives the run, however it ended: the decoded audio alone is
            # ~115 MB an hour. (On a bucket the scratch folder goes as a whole.) A worker killed
            # mid-run leaves it for the next attempt, which reuses it and then removes it.
            runner.remove_intermediates(space.folder(job))
    ran: dict[str, object] = {"backend": done.backend, "model_name": done.model}
    if done.reused:
        ran["cached_from_hash"] = True
    else:
        ran.update(fallbacks=done.fallbacks, realtime_factor=done.realtime_factor)
    finished = _ours(job).update(
        status=Job.Status.SUCCEEDED,
        stage=Job.Stage.DONE,
        progress=100,
        finished_at=timezone.now(),
        note=done.note,
        **ran,
    )
    if not finished:
        raise JobCancelled()


def _fails_on_its_file(job: Job, exc: Exception) -> bool:
    """Whether the failure is the uploaded file's own: a MediaError while it was being checked
    (not media, no audio track, over a limit). Its bytes never change, so a retry cannot help; a
    link may serve something else next time, and later stages may fail for passing reasons."""
    return (
        isinstance(exc, MediaError)
        and job.stage == Job.Stage.FETCH
        and job.source_kind == Job.Source.UPLOAD
    )


def _finish_failed(job: Job, message: str, detail: str, *, retryable: bool = True) -> None:
    logger.warning("job %s failed: %s", job.pk, message)
    _ours(job).update(
        status=Job.Status.FAILED,
        error=message,
        error_detail=detail[-20000:],
        finished_at=timezone.now(),
        retryable=retryable,
    )


def rerender_clips(job_id: str, indexes: list[int]) -> int:
    """Render the given clips again from the current transcript (after a caption edit)."""
    job = Job.objects.filter(pk=job_id, status=Job.Status.SUCCEEDED).first()
    if job is None or not job.media:
        return 0
    done = render_clips_again(job, job.clips.filter(index__in=indexes))
    logger.info("job %s: %s clip(s) rendered again after an edit", job.pk, done)
    return done
