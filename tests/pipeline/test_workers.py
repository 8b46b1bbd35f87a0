"""Several real workers on PostgreSQL + Redis: every job runs once, and none is lost to a crash.

Each cluster is a real ``manage.py qcluster`` (see conftest.py). The sweeper is called by the test
in a polling loop, as the every-minute schedule would, with thresholds shortened to seconds.
"""

from __future__ import annotations

import os
import re
import signal

import pytest

from jobs.models import Job
from jobs.pipeline.sweeper import SweepResult, sweep_stale_jobs
from tests.factories import job_from_file
from tests.pipeline.conftest import wait_for, wait_until_ready, worker_pid
from transcripts.models import Transcript

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.scaleout, pytest.mark.slow]


def _transcribing(job: Job) -> Job:
    """Wait until a worker is in the transcription stage of ``job``."""
    return wait_for(
        lambda: Job.objects.filter(
            pk=job.pk, status=Job.Status.RUNNING, stage=Job.Stage.TRANSCRIBE
        ).first(),
        timeout=90,
        what=f"job {job.pk} to be mid-transcription",
        every=0.05,
    )


def _finished(jobs: list[Job], timeout: float, *, sweep: SweepResult | None = None) -> list[Job]:
    """Wait until every job is finished; with ``sweep``, run the sweeper meanwhile and collect."""
    ids = [job.pk for job in jobs]

    def done() -> list[Job] | None:
        if sweep is not None:
            swept = sweep_stale_jobs()
            sweep.requeued += swept.requeued
            sweep.failed += swept.failed
            sweep.resent += swept.resent
        found = list(Job.objects.filter(pk__in=ids, status__in=Job.FINISHED))
        return found if len(found) == len(ids) else None

    return wait_for(done, timeout=timeout, what=f"{len(ids)} jobs to finish", every=0.5)


def _assert_ran_once(job: Job, *, attempts: int = 1) -> None:
    assert job.status == Job.Status.SUCCEEDED, (job.status, job.error, job.error_detail[-500:])
    assert job.attempts == attempts
    assert Transcript.objects.filter(job=job).count() == 1


def test_it_runs_twenty_jobs_once_each_on_two_workers(clusters, alice, short_clips):
    first, second = clusters("one"), clusters("two")
    wait_until_ready(first)
    wait_until_ready(second)

    jobs = [job_from_file(alice, clip) for clip in short_clips(20)]
    finished = _finished(jobs, timeout=180)

    for job in finished:
        _assert_ran_once(job)
    workers = {job.worker for job in finished}
    assert any(first.owns(worker) for worker in workers), workers
    assert any(second.owns(worker) for worker in workers), workers
    assert all(first.owns(worker) or second.owns(worker) for worker in workers)


def test_it_recovers_a_job_whose_worker_process_was_killed(clusters, alice, long_speech):
    cluster = clusters("one")
    wait_until_ready(cluster)
    job = job_from_file(alice, long_speech)
    running = _transcribing(job)
    dead = worker_pid(running)
    assert dead in cluster.pids()

    os.kill(dead, signal.SIGKILL)  # out of memory, say; django-q2 starts a fresh worker process

    sweep = SweepResult()
    (done,) = _finished([job], timeout=150, sweep=sweep)
    _assert_ran_once(done, attempts=2)
    assert sweep.requeued == [str(job.pk)] and not sweep.failed
    assert worker_pid(done) != dead and cluster.owns(done.worker)
    # Words, not punctuation: the model writes "ask not, what" on some runs ("ask not what" on others).
    words = " ".join(re.sub(r"[^\w\s]", " ", done.transcript.text.lower()).split())
    assert "ask not what your country" in words


def test_it_recovers_the_jobs_of_a_worker_host_that_died(clusters, alice, long_speech, short_clips):
    from django_q.brokers import get_broker

    doomed = clusters("doomed")
    wait_until_ready(doomed)
    long_job = job_from_file(alice, long_speech)
    _transcribing(long_job)
    # While its worker is busy, the cluster pulls the next tasks off Redis into its own memory.
    waiting = [job_from_file(alice, clip) for clip in short_clips(2)]
    wait_for(lambda: get_broker().queue_size() == 0, timeout=30, what="the tasks to be pulled")

    doomed.signal_group(signal.SIGKILL)  # the whole host: worker, pusher, sentinel
    doomed.process.wait(timeout=30)
    assert Job.objects.get(pk=long_job.pk).status == Job.Status.RUNNING  # nobody knows yet
    survivor = clusters("survivor")

    sweep = SweepResult()
    finished = {job.pk: job for job in _finished([long_job, *waiting], timeout=150, sweep=sweep)}

    _assert_ran_once(finished[long_job.pk], attempts=2)
    for job in waiting:
        _assert_ran_once(finished[job.pk])
    assert all(survivor.owns(job.worker) for job in finished.values())
    assert sweep.requeued == [str(long_job.pk)]
    # Resent at least once each; more when the survivor pulled them while busy, which the sweeper
    # cannot tell from a loss. The duplicate finds the job taken and does nothing.
    assert set(sweep.resent) == {str(job.pk) for job in waiting}


@pytest.mark.parametrize("whom", ["main process", "process group"])
def test_it_puts_the_job_back_at_once_when_a_worker_is_stopped(clusters, alice, long_speech, whom):
    # `manage.py work` stopped by `docker stop` (SIGTERM to the main process) or by `systemctl
    # stop` (SIGTERM to every process of the group). No sweeper runs in this test.
    stopping = clusters("stopping", command="work")
    wait_until_ready(stopping)
    job = job_from_file(alice, long_speech)
    _transcribing(job)

    if whom == "main process":
        stopping.process.send_signal(signal.SIGTERM)
    else:
        stopping.signal_group(signal.SIGTERM)

    queued = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).first(),
        timeout=30,
        what="the job to be back in the queue",
        every=0.05,
    )
    assert queued.attempts == 0  # a polite stop does not count against the job
    stopping.process.wait(timeout=30)
    wait_for(stopping.group_empty, timeout=30, what="every process of the cluster to end")

    taker = clusters("taker")
    (done,) = _finished([job], timeout=150)
    _assert_ran_once(done)
    assert taker.owns(done.worker)


def test_the_schedule_sweeps_without_help(clusters, alice, short_clips):
    """End to end: the migration's schedule, django-q2's scheduler, the sweep task, the rerun."""
    from datetime import timedelta

    from django.utils import timezone
    from django_q.brokers import get_broker

    from jobs.pipeline.sweeper import ensure_schedule

    ensure_schedule()  # made by the migration, but earlier tests flushed the database
    (clip,) = short_clips(1)
    job = job_from_file(alice, clip)
    get_broker().purge_queue()
    # As a worker that died a while ago leaves it.
    long_ago = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, attempts=1, started_at=long_ago, heartbeat_at=long_ago,
        worker="gone.example:1",
    )  # fmt: skip

    cluster = clusters("scheduled")
    # django-q2's sentinel looks at the schedules every 30 s.
    (done,) = _finished([job], timeout=120)
    _assert_ran_once(done, attempts=2)
    assert cluster.owns(done.worker)
    log = cluster.log.read_text()
    assert "from schedule [Lectern: sweep stale jobs]" in log and "1 requeued" in log
