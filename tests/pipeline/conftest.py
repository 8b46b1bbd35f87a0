"""Real `manage.py qcluster` workers for the scale-out tests, and short speech clips to feed them.

The workers are separate processes on PostgreSQL + Redis: they see the test database because the
tests using them are transactional (``django_db(transaction=True)``), and they get its name through
``DATABASE_URL``. Each cluster runs in its own process group, so that a test can kill one whole
"host" (``kill -9`` of the group) or just its worker process; every cluster is killed at teardown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from jobs.models import Job

BASE_DIR = Path(__file__).resolve().parents[2]
# Worker timings for tests: a dead worker is noticed within seconds, not a minute.
HEARTBEAT_SECONDS = 0.5
STALE_AFTER_SECONDS = 5.0


def wait_for(
    condition: Callable[[], object], *, timeout: float, what: str, every: float = 0.1
) -> object:
    """Poll until ``condition()`` is truthy and return it; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def on_real_services() -> bool:
    return connection.vendor == "postgresql" and bool(settings.REDIS_URL)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found.append(child)
        found.extend(_descendants(child))
    return found


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                members.append(int(entry))
    return members


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@dataclass
class Cluster:
    """One `manage.py qcluster`: main process -> sentinel -> worker, monitor, pusher."""

    name: str
    process: subprocess.Popen
    log: Path
    worker_names: set[str] = field(default_factory=set)

    def pids(self) -> set[int]:
        return {self.process.pid, *_descendants(self.process.pid)}

    def owns(self, worker: str) -> bool:
        """Whether ``host:pid`` (Job.worker) is one of this cluster's processes, now or before."""
        pid = int(worker.rsplit(":", 1)[-1])
        if pid in self.pids():
            self.worker_names.add(worker)
        return worker in self.worker_names

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def running(self) -> bool:
        return self.process.poll() is None

    def group_empty(self) -> bool:
        """No process of the cluster's group is left (zombies awaiting their reaper aside)."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return not any(_alive(pid) for pid in _group_members(self.process.pid))

    def stop(self) -> None:
        """SIGKILL to the whole group, then reap: teardown must never hang or leave orphans."""
        leftovers = self.pids()
        self.signal_group(signal.SIGKILL)
        for pid in leftovers:  # a process that left the group (it should not) still goes
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def worker_env(media_root: Path, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
        # The live test database (test_<name>), not the configured one.
        "DATABASE_URL": f"postgres://{auth}@{host}{port}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "LECTERN_QUEUE_NAME": str(settings.Q_CLUSTER["name"]),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # tasks are signed with it
        "LECTERN_MEDIA_ROOT": str(media_root),
        "LECTERN_DATA_DIR": str(settings.DATA_DIR),
        "LECTERN_MODEL": "tiny.en",
        "LECTERN_BACKEND": "faster-whisper",
        "LECTERN_THREADS": "1",
        "LECTERN_WORKERS": "1",
        "LECTERN_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "LECTERN_STALE_AFTER_SECONDS": str(STALE_AFTER_SECONDS),
        "EMAIL_URL": "locmem://",
        "LECTERN_LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


@pytest.fixture
def clusters(
    transactional_db: None, settings, media_root: Path, tmp_path: Path
) -> Iterator[Callable[..., Cluster]]:
    """``start(name, command="qcluster")`` starts a cluster; all are killed when the test ends."""
    if not on_real_services():
        pytest.skip(
            "needs PostgreSQL + Redis (DATABASE_URL, REDIS_URL): see scripts/test-scaleout.sh"
        )
    if not Path("/proc/self/task").is_dir():
        pytest.skip("finds the clusters' processes through /proc (Linux)")
    from django_q.brokers import get_broker

    settings.LECTERN_STALE_AFTER_SECONDS = STALE_AFTER_SECONDS
    settings.LECTERN_HEARTBEAT_SECONDS = HEARTBEAT_SECONDS
    # Tasks left by earlier tests (their jobs are gone) would only slow the workers down.
    get_broker().purge_queue()
    started: list[Cluster] = []

    def start(name: str, command: str = "qcluster", **extra_env: str) -> Cluster:
        log = tmp_path / f"{command}-{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", command],
                cwd=BASE_DIR,
                env=worker_env(media_root, **extra_env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a "host" to kill at once
            )
        cluster = Cluster(name, process, log)
        started.append(cluster)
        return cluster

    try:
        yield start
    finally:
        for cluster in started:
            cluster.stop()
            # Shown by pytest only when the test failed.
            print(f"--- qcluster {cluster.name}, last lines ---\n{cluster.tail()}")


def wait_until_ready(cluster: Cluster, timeout: float = 60) -> None:
    """The cluster's worker process is up (it logs "ready for work")."""

    def ready() -> bool:
        if not cluster.running():
            pytest.fail(f"qcluster {cluster.name} exited:\n{cluster.tail()}")
        return "ready for work" in cluster.log.read_text(errors="replace")

    wait_for(ready, timeout=timeout, what=f"qcluster {cluster.name} to start")


def worker_pid(job: Job) -> int:
    return int(job.worker.rsplit(":", 1)[-1])


# --- Speech clips ------------------------------------------------------------------------------------


def _read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path)) as source:
        assert source.getnchannels() == 1 and source.getsampwidth() == 2
        return source.readframes(source.getnframes()), source.getframerate()


def _write_wav(path: Path, frames: bytes, rate: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


@pytest.fixture
def short_clips(jfk_wav: Path, tmp_path: Path) -> Callable[[int], list[Path]]:
    """``short_clips(n)``: n different 2.5 s cuts of JFK (different bytes: no content-hash reuse)."""

    def make(count: int) -> list[Path]:
        frames, rate = _read_wav(jfk_wav)
        length = int(2.5 * rate) * 2
        step = int(0.3 * rate) * 2
        clips = []
        for index in range(count):
            start = (index * step) % (len(frames) - length)
            start -= start % 2
            clips.append(
                _write_wav(tmp_path / f"clip{index:02d}.wav", frames[start : start + length], rate)
            )
        return clips

    return make


@pytest.fixture
def long_speech(jfk_wav: Path, tmp_path: Path) -> Path:
    """JFK four times over (46 s): long enough to be caught mid-transcription."""
    frames, rate = _read_wav(jfk_wav)
    pause = b"\x00\x00" * int(0.4 * rate)
    return _write_wav(tmp_path / "long.wav", (frames + pause) * 4, rate)
