"""Crash recovery: no job stays ``running`` without a live worker, no queued job waits for a lost task.

A worker touches its running job's ``heartbeat_at`` every ``LECTERN_HEARTBEAT_SECONDS``. When a
worker dies (``kill -9``, out of memory, a host lost), nothing tells anyone: the job just stops
beating. ``sweep_stale_jobs`` runs every minute (a django-q2 schedule made by a migration, or
``manage.py sweep``) and

- puts a ``running`` job whose heartbeat is older than ``LECTERN_STALE_AFTER_SECONDS`` back in the
  queue, or fails it with a readable message once it has used up ``JOB_MAX_ATTEMPTS`` (a recording
  that kills every worker it meets must not go round for ever);
- enqueues again a ``queued`` job whose task is no longer waiting in the broker. The Redis broker has
  no delivery receipts: a task a worker had already pulled (django-q2 prefetches) dies with it. A
  task that was not lost runs twice at worst, and the second run claims nothing.

A worker stopped politely (SIGTERM) puts its job back at once (``requeue_on_sigterm``) and does not
count the attempt; the sweeper is only the safety net for the impolite cases.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from jobs.models import Job
from jobs.pipeline.children import descendants, kill_descendants

logger = logging.getLogger(__name__)

RUN_JOB = "jobs.tasks.run_job"
SCHEDULE_NAME = "Lectern: sweep stale jobs"
SCHEDULE_FUNC = "jobs.tasks.sweep_stale_jobs"

STOPPED_MESSAGE = (
    "The worker processing this job stopped {attempts} times before it could finish, so Lectern "
    "gave up on it. This can happen when a recording is too long or too large for the worker's "
    "memory. You can retry it; if it stops again, contact the site's staff."
)


@dataclass
class SweepResult:
    requeued: list[str] = field(default_factory=list)  # running, no live worker: queued again
    failed: list[str] = field(default_factory=list)  # the same, but out of attempts
    resent: list[str] = field(default_factory=list)  # queued, but the task was lost: sent again

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed or self.resent)

    def summary(self) -> str:
        return (
            f"{len(self.requeued)} requeued, {len(self.failed)} failed, {len(self.resent)} resent"
        )


def sweep_stale_jobs(*, now: datetime | None = None) -> SweepResult:
    """Recover the jobs whose worker is gone. Safe to run anywhere, any number of times at once."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.LECTERN_STALE_AFTER_SECONDS)
    result = SweepResult()
    _recover_running(now, cutoff, result)
    _resend_lost(now, cutoff, result)
    if result:
        logger.info("sweep: %s", result.summary())
    return result


def _recover_running(now: datetime, cutoff: datetime, result: SweepResult) -> None:
    stale = (
        Job.objects.filter(status=Job.Status.RUNNING)
        .annotate(last_seen=Coalesce("heartbeat_at", "started_at", "created_at"))
        .filter(last_seen__lt=cutoff)
        .values_list("pk", "attempts", "worker", "heartbeat_at")
    )
    for pk, attempts, worker, heartbeat_at in stale:
        # Compare-and-set on the heartbeat we read: a worker that beats in between keeps its job.
        seen = Job.objects.filter(pk=pk, status=Job.Status.RUNNING)
        seen = (
            seen.filter(heartbeat_at=heartbeat_at)
            if heartbeat_at
            else seen.filter(heartbeat_at__isnull=True)
        )
        last = heartbeat_at.isoformat() if heartbeat_at else "never"
        if attempts >= settings.JOB_MAX_ATTEMPTS:
            changed = seen.update(
                status=Job.Status.FAILED,
                error=STOPPED_MESSAGE.format(attempts=attempts),
                error_detail=(
                    f"Worker {worker or '?'} stopped sending heartbeats (last: {last}) on attempt "
                    f"{attempts} of {settings.JOB_MAX_ATTEMPTS}; the sweeper failed the job."
                ),
                finished_at=now,
            )
            if changed:
                result.failed.append(str(pk))
                logger.warning(
                    "job %s failed: worker %s stopped on attempt %s of %s",
                    pk, worker or "?", attempts, settings.JOB_MAX_ATTEMPTS, extra={"job_id": str(pk)},
                )  # fmt: skip
                _notify(pk)
        else:
            # ``heartbeat_at`` now means "queued since", which _resend_lost reads.
            changed = seen.update(
                status=Job.Status.QUEUED, stage=Job.Stage.QUEUED, progress=0, heartbeat_at=now
            )
            if changed:
                result.requeued.append(str(pk))
                logger.warning(
                    "job %s requeued: worker %s stopped sending heartbeats (last: %s), attempt %s",
                    pk, worker or "?", last, attempts, extra={"job_id": str(pk)},
                )  # fmt: skip
                _enqueue(pk)


def _resend_lost(now: datetime, cutoff: datetime, result: SweepResult) -> None:
    candidates = list(
        Job.objects.filter(status=Job.Status.QUEUED)
        .annotate(since=Greatest("created_at", Coalesce("heartbeat_at", "created_at")))
        .filter(since__lt=cutoff)
        .values_list("pk", flat=True)
    )
    if not candidates:
        return
    waiting = waiting_job_ids()
    if waiting is None:  # a broker we cannot look into: leave it to its own redelivery
        return
    for pk in candidates:
        if str(pk) in waiting:
            continue
        if Job.objects.filter(pk=pk, status=Job.Status.QUEUED).update(heartbeat_at=now):
            result.resent.append(str(pk))
            logger.warning(
                "job %s resent: queued, but its task is no longer in the broker",
                pk, extra={"job_id": str(pk)},
            )  # fmt: skip
            _enqueue(pk)


def waiting_job_ids() -> set[str] | None:
    """Ids of the jobs whose task waits in the broker, not yet handed to a cluster.

    ``None`` for a broker this cannot read. Tasks a cluster has pulled but not started are not
    counted: they may have died with it, and sending them again costs one no-op task at most.
    """
    from django_q.brokers import get_broker
    from django_q.brokers.orm import ORM
    from django_q.conf import Conf
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    broker = get_broker()
    if isinstance(broker, ORM):
        payloads = list(
            OrmQ.objects.using(Conf.ORM)
            .filter(key=broker.list_key, lock__lte=timezone.now())
            .values_list("payload", flat=True)
        )
    else:
        try:
            from django_q.brokers.redis_broker import Redis
        except ImportError:  # pragma: no cover - redis is a dependency
            return None
        if not isinstance(broker, Redis):
            return None
        payloads = broker.connection.lrange(broker.list_key, 0, -1)
    ids: set[str] = set()
    for payload in payloads:
        try:
            task = SignedPackage.loads(payload)
        except Exception:  # not ours to judge: django-q2 fails it when a worker pulls it
            continue
        if task.get("func") == RUN_JOB and task.get("args"):
            ids.add(str(task["args"][0]))
    return ids


def _enqueue(pk: object) -> None:
    from jobs.services import job_enqueue

    job_enqueue(Job.objects.only("pk").get(pk=pk))


def _notify(pk: object) -> None:
    """Email the owner and queue their webhook, as the end of a worker's run does."""
    from jobs.api import webhooks
    from jobs.pipeline.notifications import notify_job_finished

    job = Job.objects.select_related("owner").get(pk=pk)
    try:
        notify_job_finished(job)
    except Exception:
        logger.exception("could not notify the owner of job %s", pk, extra={"job_id": str(pk)})
    webhooks.job_finished(job)  # never raises


# --- Graceful shutdown -------------------------------------------------------------------------------


class WorkerStopping(BaseException):
    """SIGTERM arrived while a job ran. A BaseException, so no ``except Exception`` swallows it."""


# Set by the SIGTERM handler of ``requeue_on_sigterm``. The exception it raises can be lost: raised
# while a C extension runs Python code (numpy's import_array, for one), it comes out as an
# ImportError ("failed to import"), which a backend reports as "not available" and the job would
# fail for a reason that has nothing to do with it. ``stop_requested()`` lets the pipeline tell.
_stop = threading.Event()


def stop_requested() -> bool:
    """True once this process was asked to stop (SIGTERM) while it ran a job."""
    return _stop.is_set()


def release_job(job: Job) -> bool:
    """Put a job this worker is running back in the queue at once, without counting the attempt.

    Only the claim that ``job`` holds (its ``started_at``) is released: if the sweeper already gave
    the job to someone else, this changes nothing.
    """
    released = Job.objects.filter(
        pk=job.pk, status=Job.Status.RUNNING, started_at=job.started_at
    ).update(
        status=Job.Status.QUEUED,
        stage=Job.Stage.QUEUED,
        progress=0,
        attempts=F("attempts") - 1,
        heartbeat_at=timezone.now(),
    )
    if released:
        logger.warning("job %s released: the worker is shutting down", job.pk)
        _enqueue(job.pk)
    return bool(released)


@contextmanager
def requeue_on_sigterm(job: Job) -> Iterator[None]:
    """While the job runs, SIGTERM puts it back in the queue, then ends the process as asked.

    django-q2 workers keep the default SIGTERM action (die at once). That is what ``systemctl
    stop`` or a container runtime signalling the whole process group does to them; without this
    the job would stay ``running`` until the sweeper noticed, a minute or more later.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def on_sigterm(signum: int, frame: object) -> None:
        if _stop.is_set():
            return  # SIGTERM to the process group can arrive twice; one release is enough
        _stop.set()
        raise WorkerStopping()

    _stop.clear()
    spare = frozenset(descendants())  # processes that are not this job's
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    if previous is None:  # set outside Python: the default is the closest we can restore
        previous = signal.SIG_DFL
    try:
        yield
    except WorkerStopping:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one release is enough
        # The job's ffmpeg and friends go with it (they may ignore SIGTERM for a long while).
        kill_descendants(reason=f"worker stopping during job {job.pk}", spare=spare)
        # The signal may have cut a query short; start from a fresh connection.
        if not connection.in_atomic_block:
            connection.close()
        try:
            release_job(job)
        finally:
            signal.signal(signal.SIGTERM, previous)
            os.kill(os.getpid(), signal.SIGTERM)
        raise  # only reached where the previous handler returns instead of ending the process
    finally:
        _stop.clear()  # only where the process lives on (a test): the next job starts afresh
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, previous)


# --- The schedule ------------------------------------------------------------------------------------


def schedule_defaults() -> dict[str, object]:
    """The django-q2 schedule that runs the sweeper every minute on any cluster of this site.

    Results are not saved: a success row a minute would push the job tasks out of ``save_limit``.
    """
    return {
        "func": SCHEDULE_FUNC,
        "schedule_type": "I",  # Schedule.MINUTES; the migration has no access to the constant
        "minutes": 1,
        "repeats": -1,
        "kwargs": "q_options={'save': False}",
        "cluster": None,
    }


def ensure_schedule() -> bool:
    """Create the sweep schedule if it is missing (deleted in the admin). True when created."""
    from django_q.models import Schedule

    _, created = Schedule.objects.update_or_create(name=SCHEDULE_NAME, defaults=schedule_defaults())
    return created
