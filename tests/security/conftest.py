"""Real web processes (gunicorn) on 127.0.0.1 that share the test database, for attacks that need
more than one process (rate limits) or a process to kill (an upload cut off mid-way)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class WebProcess:
    process: subprocess.Popen
    port: int
    data_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def web_process(tmp_path: Path) -> Iterator[Callable[..., WebProcess]]:
    """Start ``gunicorn`` (one worker) on the test database; every one is killed at teardown.

    ``serve=True`` starts the web server as the product runs it instead: ``manage.py serve
    --no-worker`` (gunicorn, 2 processes of 4 threads).
    """
    if connection.vendor != "sqlite":
        pytest.skip("the web processes are pointed at the SQLite test database file")
    started: list[WebProcess] = []

    def start(*, serve: bool = False, **env: str) -> WebProcess:
        port = _free_port()
        data_dir = tmp_path / f"web-{port}"
        data_dir.mkdir()
        environment = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "LECTERN_DATA_DIR": str(data_dir),
            "LECTERN_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "LECTERN_LOG_LEVEL": "WARNING",
            **env,
        }
        command = (
            [sys.executable, "manage.py", "serve", "--no-worker", "--bind", f"127.0.0.1:{port}"]
            if serve
            else [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
                  f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--timeout", "60"]
        )  # fmt: skip
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=environment, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        web = WebProcess(process, port, data_dir)
        started.append(web)
        deadline = time.monotonic() + 60  # a loaded machine: two imports of Django
        while True:
            try:
                urllib.request.urlopen(f"{web.base_url}/healthz", timeout=2).read()
                break
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP answer, even an error, means it is up
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn on port {port} did not start")
                time.sleep(0.2)
        return web

    try:
        yield start
    finally:
        for web in started:
            web.kill()
