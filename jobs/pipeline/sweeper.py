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
  task that was not lost runs twice at worst, and the second run claims nothing. A task runs the
  next fair job, not necessarily its own (``jobs.pipeline.worker.claim_next``), so what is counted
  is tasks against queued jobs: only as many are sent again as are missing.

A worker stopped politely (SIGTERM) puts its job back at once (``jobs.pipeline.shutdown``) and does
not count the attempt; the sweeper is only the safety net for the impolite cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from jobs.api import webhooks
from jobs.models import Job
from jobs.pipeline.notifications import notify_job_finished
from jobs.services import job_enqueue

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
    tasks = waiting_tasks()
    if tasks is None:  # a broker we cannot look into: leave it to its own redelivery
        return
    waiting = set(tasks)
    # Each waiting task will run one queued job, whichever fairness picks: only the shortfall is
    # lost. Jobs without a task of their own name are sent first, so that the names stay useful.
    missing = Job.objects.filter(status=Job.Status.QUEUED).count() - len(tasks)
    for pk in candidates:
        if missing <= 0:
            break
        if str(pk) in waiting:
            continue
        if Job.objects.filter(pk=pk, status=Job.Status.QUEUED).update(heartbeat_at=now):
            missing -= 1
            result.resent.append(str(pk))
            logger.warning(
                "job %s resent: queued, but its task is no longer in the broker",
                pk, extra={"job_id": str(pk)},
            )  # fmt: skip
            _enqueue(pk)


def waiting_job_ids() -> set[str] | None:
    """Ids of the jobs whose task waits in the broker, not yet handed to a cluster (``None`` for
    a broker this cannot read)."""
    tasks = waiting_tasks()
    return None if tasks is None else set(tasks)


def waiting_tasks() -> list[str] | None:
    """The job id of each ``run_job`` task waiting in the broker, one entry a task.

    ``None`` for a broker this cannot read. Tasks a cluster has pulled but not started are not
    counted: they may have died with it, and sending them again costs one no-op task at most.
    """
    broker = get_broker()
    if isinstance(broker, ORM):
        payloads = list(
            OrmQ.objects.using(Conf.ORM)
            .filter(key=broker.list_key, lock__lte=timezone.now())
            .values_list("payload", flat=True)
        )
    else:
        # The redis client takes ~0.3 s to import: only loaded where the Redis broker is in use.
        from django_q.brokers.redis_broker import Redis

        if not isinstance(broker, Redis):
            return None
        payloads = broker.connection.lrange(broker.list_key, 0, -1)
    ids: list[str] = []
    for payload in payloads:
        try:
            task = SignedPackage.loads(payload)
        except Exception:  # not ours to judge: django-q2 fails it when a worker pulls it
            continue
        if task.get("func") == RUN_JOB and task.get("args"):
            ids.append(str(task["args"][0]))
    return ids


def _enqueue(pk: object) -> None:
    job_enqueue(Job.objects.only("pk").get(pk=pk))


def _notify(pk: object) -> None:
    """Email the owner and queue their webhook, as the end of a worker's run does."""
    job = Job.objects.select_related("owner").get(pk=pk)
    try:
        notify_job_finished(job)
    except Exception:
        logger.exception("could not notify the owner of job %s", pk, extra={"job_id": str(pk)})
    webhooks.job_finished(job)  # never raises


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
    _, created = Schedule.objects.update_or_create(name=SCHEDULE_NAME, defaults=schedule_defaults())
    return created
