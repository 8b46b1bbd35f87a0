from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.scaleout]


def test_it_reports_healthy_with_every_check(client, settings):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "broker", "disk", "backend"}
    assert all(check["ok"] for check in checks.values())
    expected_vendor = (
        "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    )
    assert checks["database"]["vendor"] == expected_vendor
    assert checks["broker"]["kind"].startswith("Redis" if settings.REDIS_URL else "ORM")
    assert checks["broker"]["waiting"] >= 0
    assert checks["backend"]["name"] == "faster-whisper"
    assert checks["disk"]["free_mb"] >= checks["disk"]["min_free_mb"]


def test_it_fails_when_the_media_volume_is_nearly_full(client, settings):
    settings.LECTERN_MIN_FREE_DISK_MB = 1024**4  # an exabyte: no disk has that much free

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["disk"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_it_fails_when_no_transcription_backend_can_run(client, settings):
    settings.LECTERN_BACKEND = "no-such-backend"  # a typo in the configuration

    response = client.get("/healthz")

    assert response.status_code == 503
    backend = response.json()["checks"]["backend"]
    assert backend == {"ok": False, "error": "BackendError", "ms": backend["ms"]}


def test_it_needs_no_login_and_answers_only_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_it_is_not_redirected_to_https(client, settings):
    # Load balancers probe over plain HTTP inside the network.
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301
