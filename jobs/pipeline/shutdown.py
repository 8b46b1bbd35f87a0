"""A worker asked to stop (SIGTERM) puts its running job back in the queue before it goes.

django-q2 workers keep the default SIGTERM action (die at once). That is what ``systemctl stop``
or a container runtime signalling the whole process group does to them; without this the job
would stay ``running`` until the sweeper (``jobs.pipeline.sweeper``) noticed, a minute or more later.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import F
from django.utils import timezone

from jobs.models import Job
from jobs.pipeline.children import descendants, kill_descendants
from jobs.services import job_enqueue

logger = logging.getLogger(__name__)


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
        job_enqueue(Job.objects.only("pk").get(pk=job.pk))
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
