"""Webhooks: a signed POST to the owner's URL when a job ends, retried with exponential backoff.

Each attempt is one django-q2 task (``deliver``). A failed attempt records a ``WebhookDelivery``
row and schedules the next one as a ``Schedule`` of type ONCE, ``base * 2**(attempt-1)`` seconds
later, instead of sleeping: a worker is never held for minutes by a receiver that is down (jobs
wait for the same few workers), and a retry survives a worker restart because it is a row in the
database. The scheduler of ``manage.py work`` picks it up (it checks about every 30 seconds, so
short delays round up to that).

Requests are signed like Stripe's: ``X-Lectern-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" with the user's secret>`` and ``X-Lectern-Timestamp: <unix seconds>``; a
receiver checks both, and rejects old timestamps to stop replays (``verify_signature``).

The URL is checked with the SSRF rules when it is saved and again before each attempt, and the
connection itself is made under ``guard_connections``, so a DNS answer that changed to an
internal address in between is refused too. Redirects are not followed, and proxies from the
environment are not used (they would make the guard check the proxy, not the receiver).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from jobs.intake import rules
from jobs.intake.urlsafety import guard_connections
from jobs.models import Job, Webhook, WebhookDelivery
from transcripts import exports

logger = logging.getLogger(__name__)

EVENTS = {Job.Status.SUCCEEDED: "job.succeeded", Job.Status.FAILED: "job.failed"}
USER_AGENT = "Lectern-Webhook/1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: float = 300
) -> bool:
    """What a receiver does: a matching signature over a timestamp no older than ``tolerance``."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def job_finished(job: Job | None) -> bool:
    """Queue the first delivery of a succeeded/failed job's event, if its owner has a webhook.

    Never raises: the job itself is over and must not be reported as a failed task.
    """

    event = EVENTS.get(job.status) if job is not None else None
    if job is None or event is None:
        return False
    try:
        if not Webhook.objects.filter(user_id=job.owner_id).exists():
            return False
        async_task(
            "jobs.tasks.deliver_webhook", str(job.pk), event, 1, task_name=f"webhook-{job.pk}"
        )
    except Exception:
        logger.exception("could not queue the webhook of job %s", job.pk)
        return False
    return True


def payload(job: Job, event: str) -> dict[str, object]:
    base = settings.BASE_URL
    api = f"{base}/api/v1/jobs/{job.pk}"
    links: dict[str, object] = {"self": api, "web": f"{base}{job.get_absolute_url()}"}
    if job.status == Job.Status.SUCCEEDED:
        links["transcript"] = {fmt: f"{api}/transcript/{fmt}" for fmt in exports.FORMATS}
        links["clips"] = f"{api}/clips"
    return {
        "id": f"{job.pk}:{event}",  # the same for every attempt: receivers can de-duplicate
        "event": event,
        "job_id": str(job.pk),
        "status": job.status,
        "title": job.display_name,
        "error": job.error,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "links": links,
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is answered as it is: an unsuccessful delivery


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(status code, error) of one POST; the status is None when no answer came."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with (
            guard_connections(rules.allowlist()),
            _opener.open(request, timeout=settings.LECTERN_WEBHOOK_TIMEOUT) as response,
        ):
            response.read(4096)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:1000]


def deliver(job_id: str, event: str, attempt: int = 1) -> int | None:
    """Make one delivery attempt; schedule the next one on failure. Returns the status code."""
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    webhook = Webhook.objects.filter(user_id=job.owner_id).first() if job else None
    if job is None or webhook is None:
        return None  # the job or the webhook was deleted in the meantime
    body = json.dumps(payload(job, event), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Lectern-Event": event,
        "X-Lectern-Delivery": f"{job.pk}:{event}:{attempt}",
        "X-Lectern-Timestamp": timestamp,
        "X-Lectern-Signature": sign(webhook.secret, timestamp, body),
    }
    started = time.monotonic()
    retry = True
    try:
        url = rules.validate_url(webhook.url)
    except rules.UnsafeURL as exc:
        # Refused before any connection; a URL that became unsafe will not become safe by waiting.
        status, error, retry = None, f"Refused: {exc}", False
    else:
        status, error = _post(url, body, headers)
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        job=job,
        event=event,
        url=webhook.url,
        attempt=attempt,
        status_code=status,
        error=error,
        duration=round(time.monotonic() - started, 3),
    )
    if delivery.succeeded:
        logger.info("webhook %s for job %s delivered (attempt %s)", event, job.pk, attempt)
    elif retry and attempt < settings.LECTERN_WEBHOOK_MAX_ATTEMPTS:
        delay = schedule_retry(job_id, event, attempt + 1)
        logger.warning(
            "webhook %s for job %s failed (attempt %s: %s); next try in %.0f s",
            event, job.pk, attempt, error, delay,
        )  # fmt: skip
    else:
        logger.warning("webhook %s for job %s failed for good: %s", event, job.pk, error)
    return status


def backoff(attempt: int) -> float:
    """Seconds to wait before ``attempt`` (2, 3, ...): base, 2 base, 4 base, ..."""
    return settings.LECTERN_WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempt - 2)


def schedule_retry(job_id: str, event: str, attempt: int) -> float:
    delay = backoff(attempt)
    Schedule.objects.create(
        name=f"webhook-{job_id}-{attempt}"[:100],
        func="jobs.tasks.deliver_webhook",
        args=repr((str(job_id), event, attempt)),
        schedule_type=Schedule.ONCE,
        repeats=-1,  # a ONCE schedule with negative repeats is deleted once it has run
        next_run=timezone.now() + timedelta(seconds=delay),
    )
    return delay
