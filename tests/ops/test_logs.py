from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from jobs.ops.logs import JobContextFilter, JsonFormatter, job_context
from jobs.tasks import run_job

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """Records of the `jobs` loggers as the JSON handler writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(JobContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("jobs")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_it_tags_what_a_job_run_logs_with_the_job_id(json_lines):
    job_id = str(uuid.uuid4())

    assert run_job(job_id) is None  # no such job: the pipeline logs that and stops

    (entry,) = [e for e in json_lines() if e["logger"] == "jobs.pipeline.worker"]
    assert entry["job_id"] == job_id and entry["level"] == "INFO"
    assert "not claimed" in entry["message"]
    assert {"time", "host", "pid"} <= set(entry)


def test_it_keeps_an_explicit_job_id_and_adds_none_outside_a_job(json_lines):
    logger = logging.getLogger("jobs.pipeline.sweeper")
    with job_context("running-job"):
        logger.warning("about another job", extra={"job_id": "other-job"})
    logger.warning("about no job")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("with a traceback")

    first, second, third = json_lines()
    assert first["job_id"] == "other-job"
    assert "job_id" not in second
    assert "ValueError: boom" in third["exception"]


def test_it_writes_plain_lines_with_the_job_tag():
    formatter = logging.Formatter("%(levelname)s %(name)s%(job_tag)s %(message)s")
    record = logging.LogRecord(
        "jobs.pipeline.worker", logging.INFO, __file__, 1, "hello", None, None
    )
    with job_context("abc"):
        JobContextFilter().filter(record)
    assert formatter.format(record) == "INFO jobs.pipeline.worker job=abc hello"


def _log_in_subprocess(tmp_path: Path, log_format: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django, logging; django.setup(); from jobs.ops.logs import job_context\n"
        "from django.core.mail import send_mail\n"
        "send_mail('Ready', 'Hello,\\nit is at http://x/jobs/1/', None, ['a@example.org'])\n"
        "with job_context('j-1'): logging.getLogger('jobs.pipeline.worker').warning('hello')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "EMAIL_URL": "",
           "LECTERN_DATA_DIR": str(tmp_path), "LECTERN_LOG_FORMAT": log_format}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_the_settings_switch_to_json_logs(tmp_path):
    json_run = _log_in_subprocess(tmp_path, "json")
    assert json_run.returncode == 0, json_run.stderr
    email, entry = [json.loads(line) for line in json_run.stderr.strip().splitlines()]
    assert entry["message"] == "hello" and entry["job_id"] == "j-1"
    # An email for the console (no EMAIL_URL) is one record too, not a raw multi-line dump.
    assert json_run.stdout == ""
    assert email["logger"] == "jobs.ops.mail"
    assert "a@example.org" in email["message"] and "http://x/jobs/1/" in email["message"]

    plain = _log_in_subprocess(tmp_path, "plain")
    assert (
        plain.stderr.strip().splitlines()[-1].endswith("WARNING jobs.pipeline.worker job=j-1 hello")
    )
    assert "Subject: Ready" in plain.stdout  # Django's console backend, as before

    bad = _log_in_subprocess(tmp_path, "xml")
    assert bad.returncode != 0 and "LECTERN_LOG_FORMAT must be plain or json" in bad.stderr


def test_gunicorn_writes_json_lines_too(tmp_path):
    """gunicorn reads gunicorn.conf.py from the project directory, as make run, the image and
    compose.yaml start it: its own lines and the access log are JSON objects like the app's."""
    env = {**os.environ, "LECTERN_DATA_DIR": str(tmp_path), "LECTERN_LOG_FORMAT": "json"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", "127.0.0.1:0",
         "--workers", "1", "--access-logfile", "-"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the first line that says where it listens
            lines.append(line)
            if "Listening at: " in line:
                url = json.loads(line)["message"].split("Listening at: ")[1].split()[0]
                break
        else:
            pytest.fail("gunicorn never said where it listens:\n" + "".join(lines))
        with pytest.raises(urllib.error.HTTPError):  # 503: no database here, which is fine
            urllib.request.urlopen(
                urllib.request.Request(f"{url}/healthz", headers={"Host": "localhost"}), timeout=60
            )
    finally:
        server.terminate()
        rest, _ = server.communicate(timeout=30)
    lines += rest.splitlines()
    records = [json.loads(line) for line in lines if line.strip()]  # every line, or it fails here
    assert all(isinstance(record, dict) for record in records)
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers
    (access,) = [r for r in records if r["logger"] == "gunicorn.access"]
    assert "GET /healthz" in access["message"]
