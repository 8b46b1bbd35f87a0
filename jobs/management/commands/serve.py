"""Run the web server and a django-q2 worker together; Ctrl-C stops both."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start the web server and a task worker in one terminal (the embedded default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("LECTERN_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-worker", action="store_true", help="Web server only.")

    def handle(self, *args: object, **options: object) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        bind = str(options["bind"])
        if importlib.util.find_spec("gunicorn") is not None:
            web = [
                sys.executable, "-m", "gunicorn", "config.wsgi:application",
                "--bind", bind, "--workers", str(options["web_workers"]), "--threads", "4",
                "--access-logfile", "-", "--graceful-timeout", "5",
            ]  # fmt: skip
        else:  # Windows has no gunicorn; Django's own server is enough for one person.
            web = [*manage, "runserver", bind, "--noreload"]
        commands = {"web": web}
        if not options["no_worker"]:
            # `work` wraps django-q2's cluster so that Ctrl-C hands a running job back to the
            # queue at once instead of waiting for it to finish.
            commands["worker"] = [*manage, "work"]
        children = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR)
            for name, command in commands.items()
        }
        self.stdout.write(f"Lectern is running at http://{bind}/  (Ctrl-C stops it)")
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with status {child.returncode}; stopping."
                        )
                        exit_code = child.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        if exit_code:
            sys.exit(exit_code)
