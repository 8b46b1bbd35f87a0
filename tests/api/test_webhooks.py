from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.scheduler import scheduler

from jobs.api import keys, webhooks
from jobs.intake import rules
from jobs.models import Job, Webhook, WebhookDelivery
from jobs.pipeline.sweeper import sweep_stale_jobs
from jobs.tasks import run_job
from tests.factories import finished_job, job_from_file
from tests.servers import Reply, WebhookReceiver, server_error


def _retries():
    return Schedule.objects.filter(func="jobs.tasks.deliver_webhook")


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def allow_loopback(settings):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    settings.LECTERN_WEBHOOK_BACKOFF_SECONDS = 0
    settings.LECTERN_WEBHOOK_TIMEOUT = 5


@pytest.fixture
def run_tasks_inline(monkeypatch):
    """django-q2's own sync mode: async_task runs the task at once, in this thread."""
    monkeypatch.setattr(Conf, "SYNC", True)


def _signed_body(request, secret: str) -> dict:
    assert webhooks.verify_signature(
        secret,
        request.headers["x-lectern-timestamp"],
        request.body,
        request.headers["x-lectern-signature"],
    )
    assert not webhooks.verify_signature(
        "wrong secret",
        request.headers["x-lectern-timestamp"],
        request.body,
        request.headers["x-lectern-signature"],
    )
    return json.loads(request.body)


@pytest.mark.django_db(transaction=True)
def test_it_posts_a_signed_event_when_a_real_job_ends(
    alice, jfk_wav, receiver, allow_loopback, run_tasks_inline
):
    webhook = keys.webhook_set(user=alice, url=f"{receiver.url}/hook")
    # The upload's own queueing runs the job inline too (sync mode); run_job then finds it done.
    job = job_from_file(alice, jfk_wav, highlights=False)
    run_job(str(job.pk))

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hook" and request.headers["x-lectern-event"] == "job.succeeded"
    body = _signed_body(request, webhook.secret)
    assert body["event"] == "job.succeeded" and body["job_id"] == str(job.pk)
    assert body["status"] == "succeeded"
    assert body["links"]["transcript"]["srt"].endswith(f"/api/v1/jobs/{job.pk}/transcript/srt")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status_code == 200 and delivery.attempt == 1 and delivery.job == job


@pytest.mark.django_db
def test_it_posts_the_failure_when_the_sweeper_gives_up_on_a_job(
    alice, receiver, allow_loopback, run_tasks_inline, settings
):
    # No worker run ends this job: its workers died three times and the sweeper fails it.
    webhook = keys.webhook_set(user=alice, url=f"{receiver.url}/hook")
    job = finished_job(alice)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=settings.JOB_MAX_ATTEMPTS,
        started_at=timezone.now() - timedelta(hours=1),
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )

    assert sweep_stale_jobs().failed == [str(job.pk)]

    assert len(receiver.requests) == 1
    body = _signed_body(receiver.requests[0], webhook.secret)
    assert body["event"] == "job.failed" and body["status"] == "failed"
    assert body["error"].startswith("The worker processing this job stopped")


@pytest.mark.django_db
def test_a_500_is_retried_with_backoff_and_every_attempt_is_logged(
    alice, receiver, allow_loopback, run_tasks_inline, settings
):
    settings.LECTERN_WEBHOOK_BACKOFF_SECONDS = 10
    job = finished_job(alice)
    webhook = keys.webhook_set(user=alice, url=f"{receiver.url}/hook")
    receiver.script(server_error(500))

    assert webhooks.deliver(str(job.pk), "job.succeeded") == 500

    retry = _retries().get()
    assert retry.func == "jobs.tasks.deliver_webhook" and retry.schedule_type == Schedule.ONCE
    wait = (retry.next_run - timezone.now()).total_seconds()
    assert 8 < wait <= 10
    # What the cluster's scheduler does once the time has come.
    Schedule.objects.filter(pk=retry.pk).update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()

    assert [d.status_code for d in WebhookDelivery.objects.order_by("attempt")] == [500, 200]
    assert WebhookDelivery.objects.get(attempt=1).error == "HTTP 500 Internal Server Error"
    assert not _retries().exists()  # a ONCE schedule goes once it has run
    assert len(receiver.requests) == 2
    first, second = (_signed_body(r, webhook.secret) for r in receiver.requests)
    assert first == second  # the same event, the same id: receivers can de-duplicate
    assert webhooks.backoff(2) == 10 and webhooks.backoff(4) == 40


@pytest.mark.django_db
@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_a_failed_delivery_and_is_retried(alice, receiver, allow_loopback, status):
    """A 3xx is not "delivered": the redirect is not followed (it could lead anywhere, and the
    signed body must go to the URL the owner gave), the attempt is logged failed and retried."""
    job = finished_job(alice)
    keys.webhook_set(user=alice, url=f"{receiver.url}/hook")
    with WebhookReceiver() as elsewhere:
        receiver.script(Reply(status, "", {"Location": f"{elsewhere.url}/hook"}))

        assert webhooks.deliver(str(job.pk), "job.succeeded") == status

        assert elsewhere.requests == []
    delivery = WebhookDelivery.objects.get()
    assert not delivery.succeeded and delivery.error.startswith(f"HTTP {status} ")
    assert _retries().count() == 1


@pytest.mark.django_db
def test_it_gives_up_after_the_last_attempt(alice, receiver, allow_loopback, settings):
    settings.LECTERN_WEBHOOK_MAX_ATTEMPTS = 2
    job = finished_job(alice)
    keys.webhook_set(user=alice, url=f"{receiver.url}/hook")
    receiver.script(server_error(503), server_error(503))

    webhooks.deliver(str(job.pk), "job.succeeded", 1)
    _retries().delete()
    webhooks.deliver(str(job.pk), "job.succeeded", 2)

    assert not _retries().exists() and WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
def test_it_refuses_a_loopback_url_without_the_allowlist(client, alice, receiver, settings):
    settings.URL_ALLOWLIST = []
    client.force_login(alice)

    page = client.post(reverse("accounts:webhook-update"), {"url": f"{receiver.url}/hook"})
    assert page.status_code == 400 and "private or internal" in page.content.decode()
    assert not Webhook.objects.exists()

    # Saved before the rules changed: refused at delivery, logged, and not retried.
    Webhook.objects.create(user=alice, url=f"{receiver.url}/hook", secret="s")
    job = finished_job(alice)
    assert webhooks.deliver(str(job.pk), "job.succeeded") is None
    delivery = WebhookDelivery.objects.get()
    assert delivery.status_code is None and delivery.error.startswith("Refused")
    assert not _retries().exists() and receiver.requests == []


@pytest.mark.django_db
def test_the_connection_guard_refuses_an_address_that_changed(
    alice, receiver, settings, monkeypatch
):
    settings.URL_ALLOWLIST = []
    # As if DNS answered with a public address when the URL was checked, and 127.0.0.1 later.
    monkeypatch.setattr(rules, "validate_url", lambda url: url)
    Webhook.objects.create(user=alice, url=f"http://localhost:{receiver.port}/hook", secret="s")
    job = finished_job(alice)

    assert webhooks.deliver(str(job.pk), "job.succeeded") is None

    assert "internal address" in WebhookDelivery.objects.get().error
    assert receiver.requests == []


@pytest.mark.django_db
def test_the_profile_sets_rotates_and_removes_the_webhook(client, alice, allow_loopback):
    client.force_login(alice)
    client.post(reverse("accounts:webhook-update"), {"url": "http://127.0.0.1:9/hook"})
    webhook = Webhook.objects.get(user=alice)
    assert webhook.secret in client.get(reverse("accounts:profile")).content.decode()

    client.post(reverse("accounts:webhook-update"), {"action": "rotate"})
    assert Webhook.objects.get(user=alice).secret != webhook.secret

    client.post(reverse("accounts:webhook-update"), {"url": ""})
    assert not Webhook.objects.exists()
