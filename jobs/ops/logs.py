"""Log records that say which job they are about, as plain text or as one JSON object a line.

``job_context(job_id)`` marks everything logged inside it (by the pipeline, the stages, the backends,
django-q2) with the job's id; the settings attach ``JobContextFilter`` to the console handler and pick
``JsonFormatter`` when ``LECTERN_LOG_FORMAT=json``. No Django here: settings import it while logging
is configured, before the apps are ready.
"""

from __future__ import annotations

import contextvars
import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

current_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lectern_job_id", default=None
)


@contextmanager
def job_context(job_id: object) -> Iterator[None]:
    token = current_job_id.set(str(job_id))
    try:
        yield
    finally:
        current_job_id.reset(token)


class JobContextFilter(logging.Filter):
    """Adds ``job_id`` (empty when none) and ``job_tag`` (`` job=<id>`` or empty) to every record.

    A record that already has a ``job_id`` (``logger.info(..., extra={"job_id": ...})``, as the
    sweeper does for jobs it is not running) keeps it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        job_id = getattr(record, "job_id", None) or current_job_id.get() or ""
        record.job_id = str(job_id)
        record.job_tag = f" job={job_id}" if job_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors (Loki, Elasticsearch, CloudWatch...)."""

    host = socket.gethostname()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "host": self.host,
            "pid": record.process,
        }
        job_id = getattr(record, "job_id", "")
        if job_id:
            entry["job_id"] = job_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
