"""Run a task worker cluster (django-q2's ``qcluster``) that stops at once and leaves no job running.

``manage.py qcluster`` stops on SIGTERM by letting the running jobs finish, which for a lecture can
take far longer than any process manager waits before it sends SIGKILL; and when SIGTERM reaches the
whole process group (systemd's default, ``docker run --init`` with ``TINI_KILL_PROCESS_GROUP``) its
main process can hang for good, waiting on an event its dead sentinel process will never answer.

``manage.py work`` runs the same cluster, but on SIGTERM or SIGINT passes SIGTERM to every process
of the cluster: a worker in the middle of a job puts it back in the queue
(``jobs.pipeline.shutdown.requeue_on_sigterm``) for another host to take at once, everything else just ends,
and the command waits for all of them before it exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

# How long to wait for the cluster's processes once they were told to stop.
STOP_WAIT_SECONDS = 20


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc (Linux); empty elsewhere."""
    found: list[int] = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found.append(child)
        found.extend(_descendants(child))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Command(BaseCommand):
    help = (
        "Start a task worker cluster. On SIGTERM or SIGINT, jobs being processed go back to the "
        "queue at once and the cluster stops without waiting for them."
    )

    def handle(self, *args: object, **options: object) -> None:
        settings.SECRET_KEY  # noqa: B018 - fail now, as qcluster does, when it is not set
        cluster = Cluster()  # sets django-q2's own handlers, replaced just below
        requested: list[int] = []
        told: list[int] = []

        def stop(signum: int, frame: object) -> None:
            requested.append(signum)
            if told or cluster.sentinel is None:  # already done, or not started: done after start
                return
            told.extend(_descendants(os.getpid()) or [cluster.sentinel.pid])
            if os.getpgrp() == os.getpid():
                # Leader of our own group (a container's init child, a systemd service): one
                # signal reaches every process at once, so the pusher is gone before a worker can
                # put its job back in Redis, and cannot pull that task again and die with it.
                os.killpg(os.getpid(), signal.SIGTERM)  # our own copy finds `told` set
                return
            for pid in told:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            cluster.start()
        except RuntimeError:
            if not requested:  # the sentinel died on its own, not because we stopped it
                raise
        if requested and not told:
            stop(requested[0], None)
        while cluster.sentinel.is_alive():
            cluster.sentinel.join(timeout=1)
        # The workers outlive the sentinel by the time it takes to put their jobs back: exiting
        # before them would let a container runtime kill them half-way.
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while any(_alive(pid) for pid in told) and time.monotonic() < deadline:
            time.sleep(0.1)
