"""A worker's own working folder for one job, so that workers on object storage share no folder.

On the embedded default the job's folder under ``MEDIA_ROOT`` is the working folder, as it always
was. On a bucket each run gets a fresh folder under ``LECTERN_SCRATCH_DIR`` laid out like the media
folder (``<scratch>/jobs/<id>/...``), so a file's name relative to it is its storage name: what the
run needs is fetched into it, what the job keeps is uploaded from it, and it is removed when the run
ends. A worker killed with ``kill -9`` leaves its folder behind; the next run on that host removes
folders whose process is gone. Nothing in the bucket is half-written: an object appears whole.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from jobs.models import Job
from jobs.storage import objects

logger = logging.getLogger(__name__)


@dataclass
class Workspace:
    root: Path  # storage names are relative to it
    remote: bool  # True: files are fetched from and kept in the bucket
    _published: set[str] = field(default_factory=set)

    def folder(self, job: Job) -> Path:
        return self.root / job.media_dir()

    def name(self, path: Path) -> str:
        """The storage name of a file in this workspace."""
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

    def local(self, name: str) -> Path:
        """A stored file as a local path: fetched from the bucket the first time it is asked for."""
        path = self.root / name
        if self.remote and not path.exists():
            objects.download(name, path)
        return path

    def publish(self, path: Path, *, again: bool = False) -> str:
        """Keep a file the run made: uploaded to the bucket (once, unless ``again``); its name."""
        name = self.name(path)
        if self.remote and (again or name not in self._published):
            objects.upload(Path(path), name)
            self._published.add(name)
        return name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_orphans(scratch: Path | None = None) -> int:
    """Remove the folders of runs whose worker process is gone (killed mid-job); how many."""
    scratch = Path(scratch or settings.LECTERN_SCRATCH_DIR)
    if not scratch.is_dir():
        return 0
    removed = 0
    for entry in scratch.iterdir():
        pid, dash, _ = entry.name.partition("-")
        if entry.is_dir() and dash and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("removed %s scratch folders of workers that are gone", removed)
    return removed


@contextmanager
def workspace(job: Job) -> Iterator[Workspace]:
    """The folder one run of ``job`` works in (see the module's docstring)."""
    if not objects.on_bucket():
        yield Workspace(root=Path(settings.MEDIA_ROOT), remote=False)
        return
    scratch = Path(settings.LECTERN_SCRATCH_DIR)
    scratch.mkdir(parents=True, exist_ok=True)
    sweep_orphans(scratch)
    # The pid first, so that sweep_orphans can tell whose it is.
    root = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{str(job.pk)[:8]}-", dir=scratch))
    try:
        yield Workspace(root=root, remote=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
