from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from jobs.models import Job

pytestmark = [pytest.mark.django_db, pytest.mark.scaleout]


def _samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture
def some_jobs(alice, settings):
    now = timezone.now()

    def job(status: str, **fields) -> Job:
        return Job.objects.create(owner=alice, status=status, **fields)

    for factor, seconds in ((4.0, 10), (6.0, 20)):
        job(Job.Status.SUCCEEDED, backend="faster-whisper", realtime_factor=factor,
            duration=factor * seconds, started_at=now - timedelta(seconds=seconds + 5),
            finished_at=now - timedelta(seconds=5))  # fmt: skip
    job(Job.Status.SUCCEEDED, backend="faster-whisper", realtime_factor=1.0,
        started_at=now - timedelta(days=3), finished_at=now - timedelta(days=2))  # fmt: skip
    job(Job.Status.FAILED)
    job(Job.Status.QUEUED)
    job(Job.Status.RUNNING, stage=Job.Stage.TRANSCRIBE, heartbeat_at=now)
    stale = now - timedelta(seconds=settings.LECTERN_STALE_AFTER_SECONDS + 30)
    job(Job.Status.RUNNING, stage=Job.Stage.EXTRACT, heartbeat_at=stale)


def test_it_exports_job_gauges_computed_at_scrape_time(client, some_jobs):
    samples = _samples(client.get("/metrics"))

    assert samples["lectern_jobs", (("status", "succeeded"),)] == 3
    assert samples["lectern_jobs", (("status", "failed"),)] == 1
    assert samples["lectern_jobs", (("status", "queued"),)] == 1
    assert samples["lectern_jobs", (("status", "running"),)] == 2
    assert samples["lectern_jobs", (("status", "cancelled"),)] == 0
    assert samples["lectern_jobs_running_by_stage", (("stage", "transcribe"),)] == 1
    assert samples["lectern_jobs_running_by_stage", (("stage", "extract"),)] == 1
    assert samples["lectern_jobs_stale", ()] == 1
    assert samples["lectern_oldest_queued_job_age_seconds", ()] >= 0
    assert samples["lectern_broker_up", ()] == 1
    assert samples["lectern_queue_depth", ()] >= 0
    # Only the jobs of the last 24 h: the one from two days ago is left out.
    backend = (("backend", "faster-whisper"),)
    assert samples["lectern_realtime_factor", backend] == pytest.approx(5.0)
    assert samples["lectern_job_duration_seconds", backend] == pytest.approx(15.0, abs=0.5)
    assert samples["lectern_media_transcribed_seconds", backend] == pytest.approx(160.0)


def test_it_asks_for_the_bearer_token_when_one_is_set(client, settings):
    settings.LECTERN_METRICS_TOKEN = "s3cret-token"

    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer sécret").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200 and b"lectern_jobs" in ok.content


def test_without_a_token_it_answers_this_host_and_staff_only(client, settings, alice, staff):
    settings.LECTERN_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    # From elsewhere, directly or through a reverse proxy on this host.
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 401
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 401
    assert client.get("/metrics", HTTP_FORWARDED="for=203.0.113.9").status_code == 401
    client.force_login(alice)
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 401
    client.force_login(staff)
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 200
