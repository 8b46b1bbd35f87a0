"""The sweeper as a plain function, on whatever database and broker this run uses.

The same tests run on SQLite + the ORM broker and again on PostgreSQL + Redis (marker ``scaleout``);
tests/pipeline/test_workers.py then kills real worker processes.
"""

from __future__ import annotations

import importlib
import os
import signal
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_q.brokers import get_broker

from jobs.models import Job
from jobs.pipeline import shutdown, sweeper, worker
from tests.factories import job_from_file
from transcripts.backends.base import BackendError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.scaleout]


@pytest.fixture(autouse=True)
def _empty_queue():
    # Tasks from earlier tests (whose jobs are gone) are of no interest here.
    get_broker().purge_queue()
    yield
    get_broker().purge_queue()


@pytest.fixture
def job(alice, jfk_wav) -> Job:
    return job_from_file(alice, jfk_wav)


def _running(job: Job, *, attempts: int = 1, beat_ago: float) -> Job:
    """The job as a worker that claimed it and last beat ``beat_ago`` seconds ago leaves it."""
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        stage=Job.Stage.TRANSCRIBE,
        progress=40,
        attempts=attempts,
        started_at=now - timedelta(seconds=beat_ago + 30),
        heartbeat_at=now - timedelta(seconds=beat_ago),
        worker="gone.example:4242",
    )
    job.refresh_from_db()
    return job


def test_it_requeues_a_running_job_whose_worker_stopped_beating(job, settings):
    get_broker().purge_queue()  # the task of the first run was taken by the worker that died
    _running(job, beat_ago=settings.LECTERN_STALE_AFTER_SECONDS + 5)

    result = sweeper.sweep_stale_jobs()

    assert result.requeued == [str(job.pk)] and not result.failed and not result.resent
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.stage == Job.Stage.QUEUED
    assert job.progress == 0 and job.attempts == 1  # the next claim counts attempt 2
    assert str(job.pk) in sweeper.waiting_job_ids()  # handed to the queue again
    assert sweeper.sweep_stale_jobs().summary() == "0 requeued, 0 failed, 0 resent"


def test_it_leaves_a_job_with_a_live_heartbeat_alone(job, settings):
    _running(job, beat_ago=settings.LECTERN_STALE_AFTER_SECONDS / 2)

    assert not sweeper.sweep_stale_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING


def test_it_fails_a_job_that_used_up_its_attempts(job, settings):
    settings.JOB_MAX_ATTEMPTS = 3
    _running(job, attempts=3, beat_ago=settings.LECTERN_STALE_AFTER_SECONDS + 5)

    result = sweeper.sweep_stale_jobs()

    assert result.failed == [str(job.pk)] and not result.requeued
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.finished_at
    assert job.error.startswith("The worker processing this job stopped 3 times")
    assert "gone.example:4242" in job.error_detail and "gone.example" not in job.error
    assert job.can_retry
    assert len(mail.outbox) == 1 and "failed" in mail.outbox[0].subject


def test_it_resends_a_queued_job_whose_task_was_lost(job, settings):
    later = timezone.now() + timedelta(seconds=settings.LECTERN_STALE_AFTER_SECONDS + 1)
    assert str(job.pk) in sweeper.waiting_job_ids()
    assert not sweeper.sweep_stale_jobs(now=later)  # still waiting in the broker: nothing to do

    get_broker().purge_queue()  # a cluster pulled the task, then died with it
    result = sweeper.sweep_stale_jobs(now=later)

    assert result.resent == [str(job.pk)]
    assert str(job.pk) in sweeper.waiting_job_ids()
    # Sent once: the next sweep finds it waiting again.
    assert not sweeper.sweep_stale_jobs(now=later + timedelta(seconds=60))


def test_it_counts_tasks_not_names_when_it_resends(job, bob, jfk_wav, settings):
    """A task runs whichever queued job is fair (jobs.pipeline.worker.claim_next), not always
    its own: only as many tasks are sent again as there are queued jobs without one."""
    later = timezone.now() + timedelta(seconds=settings.LECTERN_STALE_AFTER_SECONDS + 1)
    other = job_from_file(bob, jfk_wav, name="other.wav")
    # Alice's task was taken first and ran bob's job, which had waited longer for its turn.
    broker = get_broker()
    pulled = broker.dequeue()[0]
    assert pulled and sorted(sweeper.waiting_tasks()) == [str(other.pk)]
    broker.acknowledge(pulled[0])
    Job.objects.filter(pk=other.pk).update(status=Job.Status.SUCCEEDED)

    assert not sweeper.sweep_stale_jobs(now=later)  # bob's task waits, and will run alice's job

    get_broker().purge_queue()  # now that one is lost too
    assert sweeper.sweep_stale_jobs(now=later).resent == [str(job.pk)]
    assert sweeper.waiting_tasks() == [str(job.pk)]


def test_it_gives_a_new_job_time_to_reach_the_broker(job):
    get_broker().purge_queue()
    assert not sweeper.sweep_stale_jobs()  # created just now: not yet "lost"


def test_it_stops_a_frozen_worker_once_its_job_went_to_another(job, settings):
    first = worker.claim(str(job.pk))
    assert first is not None
    # The first worker froze past the threshold; the sweeper gave the job to a second worker.
    Job.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.LECTERN_STALE_AFTER_SECONDS + 5)
    )
    assert sweeper.sweep_stale_jobs().requeued == [str(job.pk)]
    time.sleep(0.01)  # a distinct started_at, as a real second claim would have
    second = worker.claim(str(job.pk))
    assert second is not None and second.attempts == 2

    # The first worker wakes up: its next write finds the job is no longer its own.
    with pytest.raises(worker.JobCancelled):
        worker.Progress(first).stage(Job.Stage.STORE)
    assert not shutdown.release_job(first)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.attempts == 2
    assert worker.Progress(second).stage(Job.Stage.STORE) is None


def test_it_puts_a_job_back_on_sigterm_without_counting_the_attempt(job):
    get_broker().purge_queue()
    claimed = worker.claim(str(job.pk))
    assert claimed is not None and claimed.attempts == 1
    received: list[int] = []

    def record(signum: int, frame: object) -> None:
        received.append(signum)

    # In a worker the previous action is "die"; here it records, so that the test survives it.
    previous = signal.signal(signal.SIGTERM, record)
    try:
        with pytest.raises(shutdown.WorkerStopping), shutdown.requeue_on_sigterm(claimed):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # interrupted by the signal long before this ends
        assert received == [signal.SIGTERM]  # the signal is passed on to what was there before
        assert signal.getsignal(signal.SIGTERM) is record
    finally:
        signal.signal(signal.SIGTERM, previous)

    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.attempts == 0
    assert str(job.pk) in sweeper.waiting_job_ids()


def test_it_puts_a_job_back_when_the_stop_surfaces_as_a_failure(job, monkeypatch):
    # SIGTERM raised while a C extension runs Python code comes out as that extension's error
    # (numpy's import_array turns it into ImportError, a backend into "not available"). Seen in
    # CI: the job failed with "faster-whisper: not available" instead of going back to the queue.
    get_broker().purge_queue()

    def interrupted_import(job: Job, progress: worker.Progress) -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except shutdown.WorkerStopping as exc:
            raise BackendError("faster-whisper: not available (failed to import)") from exc

    monkeypatch.setattr(worker, "_run_stages", interrupted_import)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        with pytest.raises(shutdown.WorkerStopping):
            worker.run(str(job.pk))
    finally:
        signal.signal(signal.SIGTERM, previous)

    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.attempts == 0 and job.error == ""
    assert str(job.pk) in sweeper.waiting_job_ids()
    assert not shutdown.stop_requested()  # the next job in this process starts afresh


def test_it_leaves_sigterm_alone_outside_a_job():
    before = signal.getsignal(signal.SIGTERM)
    with shutdown.requeue_on_sigterm(Job()):
        pass
    assert signal.getsignal(signal.SIGTERM) is before


def test_it_is_scheduled_every_minute_by_a_migration():
    migration = importlib.import_module("jobs.migrations.0003_sweep_schedule")
    assert migration.NAME == sweeper.SCHEDULE_NAME
    assert sweeper.schedule_defaults() == migration.DEFAULTS
    applied = MigrationRecorder.Migration.objects.filter(app="jobs", name="0003_sweep_schedule")
    assert applied.exists()

    from django_q.models import Schedule

    Schedule.objects.filter(name=sweeper.SCHEDULE_NAME).delete()  # deleted in the admin
    out = StringIO()
    call_command("sweep", "--ensure-schedule", stdout=out)
    assert "Created the every-minute sweep schedule." in out.getvalue()
    schedule = Schedule.objects.get(name=sweeper.SCHEDULE_NAME)
    assert schedule.func == "jobs.tasks.sweep_stale_jobs" and schedule.minutes == 1
    assert schedule.repeats == -1 and schedule.schedule_type == Schedule.MINUTES
    assert not sweeper.ensure_schedule()  # idempotent


def test_the_sweep_command_reports_what_it_did(job, settings):
    get_broker().purge_queue()
    _running(job, beat_ago=settings.LECTERN_STALE_AFTER_SECONDS + 5)
    out = StringIO()

    call_command("sweep", stdout=out)

    assert f"requeued {job.pk}" in out.getvalue()
    assert "Swept: 1 requeued, 0 failed, 0 resent." in out.getvalue()


def test_the_scheduled_task_sweeps(job, settings):
    from jobs.tasks import sweep_stale_jobs

    _running(job, beat_ago=settings.LECTERN_STALE_AFTER_SECONDS + 5)
    assert sweep_stale_jobs() == "1 requeued, 0 failed, 0 resent"
