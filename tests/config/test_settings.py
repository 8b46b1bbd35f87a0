"""DATABASE_URL and REDIS_URL switch the embedded default to the real services, and bad values stop
start-up with a message naming the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup()\n"
    "from django.conf import settings; from django_q.brokers import get_broker\n"
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'],"
    " 'name': str(settings.DATABASES['default']['NAME']),"
    " 'broker': type(get_broker()).__name__, 'queue': get_broker().list_key}))"
)


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "LECTERN_QUEUE_NAME"}
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", LECTERN_DATA_DIR=str(tmp_path))
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=BASE_DIR, env=environment, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def test_the_embedded_default_needs_no_services(tmp_path):
    result = _settings(tmp_path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"].endswith("lectern.sqlite3") and shown["broker"] == "ORM"


def test_database_url_and_redis_url_switch_to_the_real_services(tmp_path):
    # Nothing is contacted: the Redis client connects on first use.
    result = _settings(
        tmp_path,
        DATABASE_URL="postgres://lectern:secret@db.example:5432/lectern",
        REDIS_URL="redis://queue.example:6379/3",
        LECTERN_QUEUE_NAME="site-a",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown == {
        "engine": "django.db.backends.postgresql",
        "name": "lectern",
        "broker": "Redis",
        "queue": "django_q:site-a:q",
    }


def test_a_sqlite_database_url_gets_the_same_locking_as_the_default(tmp_path):
    """Without IMMEDIATE transactions, concurrent count-then-insert requests (the per-user job cap)
    answered 500 "database is locked" at once."""
    show = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        LECTERN_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=BASE_DIR, env=environment, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_bad_values_name_their_variable(tmp_path):
    cases = {
        "REDIS_URL": ({"REDIS_URL": "http://queue.example"}, "REDIS_URL must start with redis://"),
        "stale": (
            {"LECTERN_HEARTBEAT_SECONDS": "30", "LECTERN_STALE_AFTER_SECONDS": "60"},
            "LECTERN_STALE_AFTER_SECONDS must be at least 3 times LECTERN_HEARTBEAT_SECONDS",
        ),
        "heartbeat": ({"LECTERN_HEARTBEAT_SECONDS": "often"}, "LECTERN_HEARTBEAT_SECONDS must be"),
        "allowlist port": (
            {"LECTERN_URL_ALLOWLIST": "videos.example:http"},
            "LECTERN_URL_ALLOWLIST: 'videos.example:http' has an invalid port",
        ),
        "pixels": ({"LECTERN_MAX_VIDEO_PIXELS": "99999999"}, "LECTERN_MAX_VIDEO_PIXELS may be at"),
    }
    for case, (env, message) in cases.items():
        result = _settings(tmp_path, **env)
        assert result.returncode != 0, case
        assert "ImproperlyConfigured" in result.stderr and message in result.stderr, case
