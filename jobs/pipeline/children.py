"""The processes a job started (ffmpeg, tesseract, ...), found and ended when the job must stop.

A cancelled job, or a worker told to stop, must not leave an ffmpeg behind that keeps the CPU or
the network busy for hours; ffmpeg may also ignore SIGTERM for a long while, so SIGKILL is sent.
Linux's /proc lists each process's children; elsewhere there is nothing to find and nothing is
done. Plain Python, no Django.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from pathlib import Path

logger = logging.getLogger(__name__)


def descendants(pid: int | None = None) -> list[int]:
    """Every process below ``pid`` (default: this one), children before grandchildren."""
    pid = os.getpid() if pid is None else pid
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    pending.append(child)
    return found


def kill_descendants(*, reason: str, spare: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """SIGKILL every process this one started (and theirs) but ``spare``; returns their ids.

    ``spare``: the processes that were already there when the job started (a test's servers),
    which are not the job's to end.
    """
    killed = []
    for child in reversed(descendants()):
        if child in spare:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signal.SIGKILL)
            killed.append(child)
    if killed:
        logger.warning("stopped %s child processes (%s)", len(killed), reason)
    return killed
