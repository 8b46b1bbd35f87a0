"""Worker threads for tests whose pages or requests wait for their jobs (browser, OpenAI API).

Each thread does what a django-q2 worker does with a queued job: it calls ``jobs.tasks.run_job``
with the job's id, so the job goes through the real claim, runner, backends and store. Threads
rather than ``manage.py qcluster`` processes: the live server and the test share one test database,
which a separate process would not see. Several threads let a job wait on another job (Lectern's
OpenAI backend calling a second Lectern) as two workers would.
"""

from __future__ import annotations

import threading
import time


class JobThreads:
    """``count`` threads taking the oldest queued job, each as one worker, until stopped.

    ``paused``: they take nothing until ``start()``, so that a test can look at a queued job first.
    """

    def __init__(self, count: int = 1, *, paused: bool = False) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        if not paused:
            self._running.set()
        self.ran: list[str] = []
        self._threads = [
            threading.Thread(target=self._loop, daemon=True, name=f"test-worker-{index}")
            for index in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        from django.db import connection

        from jobs.models import Job
        from jobs.tasks import run_job

        try:
            while not self._stop.is_set():
                if not self._running.wait(0.1):
                    continue
                job_id = (
                    Job.objects.filter(status=Job.Status.QUEUED)
                    .order_by("created_at")
                    .values_list("pk", flat=True)
                    .first()
                )
                if job_id is None:
                    time.sleep(0.05)
                    continue
                # run_job claims the job atomically: when two threads pick the same one, the
                # second finds it taken and looks again.
                if run_job(str(job_id)) is not None:
                    self.ran.append(str(job_id))
        finally:
            connection.close()

    def start(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()
        for thread in self._threads:
            thread.join(timeout=60)
