"""Operations endpoints: ``/healthz`` for load balancers and orchestrators, ``/metrics`` for Prometheus
(and ``/favicon.ico``, which every browser asks the site for).

Both are computed when asked, from the database and the broker, so that any web process answers for
the whole site (no per-process counters to add up across gunicorn workers and hosts).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.models import Schedule
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from jobs.models import Job
from jobs.pipeline.sweeper import SCHEDULE_NAME
from jobs.storage import objects
from transcripts import backends

logger = logging.getLogger(__name__)

Check = dict[str, object]
# How far back the per-backend speed and duration gauges look.
RECENT = timedelta(hours=24)
RECENT_LIMIT = 5000


# --- /healthz ----------------------------------------------------------------------------------------


def _timed(check: Callable[[], Check]) -> Check:
    """Run a check; an exception is a failed check, named by its type (details go to the log)."""
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:
        logger.warning("health check %s failed", check.__name__, exc_info=True)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> Check:
    broker = get_broker()
    broker.ping()  # raises when Redis does not answer; the ORM broker is the database itself
    return {"ok": True, "kind": broker.info(), "waiting": broker.queue_size()}


def check_disk() -> Check:
    root = Path(settings.MEDIA_ROOT)
    usage = shutil.disk_usage(root if root.exists() else root.parent)
    free_mb = usage.free // (1024 * 1024)
    minimum = settings.LECTERN_MIN_FREE_DISK_MB
    return {"ok": free_mb >= minimum, "free_mb": free_mb, "min_free_mb": minimum}


def check_backend() -> Check:
    chosen = backends.chosen()
    if chosen is None:
        return {"ok": False, "error": "no transcription backend is available"}
    return {"ok": True, "name": chosen.name}


def check_bucket() -> Check:
    objects.client().head_bucket(Bucket=objects.bucket().bucket_name)
    return {"ok": True, "kind": "bucket"}


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "broker": check_broker,
    "disk": check_disk,
    "backend": check_backend,
}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, 503 otherwise, with each check's outcome as JSON."""
    checks = {name: _timed(check) for name, check in CHECKS.items()}
    if objects.on_bucket():  # the bucket is then where every job's files are
        checks["storage"] = _timed(check_bucket)
    ok = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "failing", "checks": checks}, status=200 if ok else 503
    )


# --- /metrics ----------------------------------------------------------------------------------------


class JobsCollector:
    """Gauges read from the database and the broker at scrape time."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()

        by_status = GaugeMetricFamily("lectern_jobs", "Jobs by status.", labels=["status"])
        counts = dict(Job.objects.values_list("status").annotate(n=Count("pk")).order_by())
        for status in Job.Status.values:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status

        running = GaugeMetricFamily(
            "lectern_jobs_running_by_stage", "Running jobs by pipeline stage.", labels=["stage"]
        )
        stages = dict(
            Job.objects.filter(status=Job.Status.RUNNING)
            .values_list("stage")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for stage, count in sorted(stages.items()):
            running.add_metric([stage], count)
        yield running

        cutoff = now - timedelta(seconds=settings.LECTERN_STALE_AFTER_SECONDS)
        yield GaugeMetricFamily(
            "lectern_jobs_stale",
            "Running jobs whose worker stopped sending heartbeats (the sweeper recovers them).",
            value=Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff).count(),
        )

        oldest = Job.objects.filter(status=Job.Status.QUEUED).aggregate(t=Min("created_at"))["t"]
        yield GaugeMetricFamily(
            "lectern_oldest_queued_job_age_seconds",
            "Age of the oldest queued job (0 when none is waiting).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )

        yield from self._broker()
        yield from self._recent(now)

        yield GaugeMetricFamily(
            "lectern_sweep_scheduled",
            "1 when the every-minute sweep schedule exists (manage.py sweep --ensure-schedule).",
            value=int(Schedule.objects.filter(name=SCHEDULE_NAME).exists()),
        )

    def _broker(self) -> Iterator[Metric]:
        try:
            depth = get_broker().queue_size()
        except Exception:
            logger.warning("metrics: the broker did not answer", exc_info=True)
            yield GaugeMetricFamily("lectern_broker_up", "1 when the task broker answers.", value=0)
            return
        yield GaugeMetricFamily("lectern_broker_up", "1 when the task broker answers.", value=1)
        yield GaugeMetricFamily(
            "lectern_queue_depth",
            "Tasks waiting in the broker, not yet pulled by a worker cluster.",
            value=depth or 0,
        )

    def _recent(self, now: object) -> Iterator[Metric]:
        rows = (
            Job.objects.filter(status=Job.Status.SUCCEEDED, finished_at__gte=now - RECENT)
            .exclude(backend="")
            .order_by("-finished_at")
            .values_list("backend", "realtime_factor", "started_at", "finished_at", "duration")[
                :RECENT_LIMIT
            ]
        )
        speed: dict[str, list[float]] = {}
        wall: dict[str, list[float]] = {}
        media: dict[str, float] = {}
        for backend, factor, started, finished, duration in rows:
            if factor:
                speed.setdefault(backend, []).append(factor)
            if started and finished:
                wall.setdefault(backend, []).append((finished - started).total_seconds())
            media[backend] = media.get(backend, 0.0) + (duration or 0.0)

        realtime = GaugeMetricFamily(
            "lectern_realtime_factor",
            "Mean seconds of audio transcribed per second of work, jobs of the last 24 h.",
            labels=["backend"],
        )
        for backend, values in sorted(speed.items()):
            realtime.add_metric([backend], sum(values) / len(values))
        yield realtime

        seconds = GaugeMetricFamily(
            "lectern_job_duration_seconds",
            "Mean wall time of a succeeded job (claim to finish), jobs of the last 24 h.",
            labels=["backend"],
        )
        for backend, values in sorted(wall.items()):
            seconds.add_metric([backend], sum(values) / len(values))
        yield seconds

        transcribed = GaugeMetricFamily(
            "lectern_media_transcribed_seconds",
            "Seconds of media in jobs that succeeded in the last 24 h.",
            labels=["backend"],
        )
        for backend, total in sorted(media.items()):
            transcribed.add_metric([backend], total)
        yield transcribed


# Headers a reverse proxy adds: a request carrying one came from elsewhere, whatever REMOTE_ADDR says.
_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _from_this_host(request: HttpRequest) -> bool:
    """A request made on this machine itself, not one a proxy on it passed on."""
    try:
        local = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False
    return local and not any(header in request.META for header in _FORWARDED)


def _authorised(request: HttpRequest) -> bool:
    """With LECTERN_METRICS_TOKEN, its bearer token; without, this host or a staff session.

    Job counts and backend names are not for the whole internet, so an unset token does not mean
    open: a Prometheus on the same machine (or a sidecar) scrapes without one, as do staff.
    """
    token = settings.LECTERN_METRICS_TOKEN
    if not token:
        user = getattr(request, "user", None)
        # Behind a reverse proxy on this host every request comes from loopback, and a plain
        # proxy adds no forwarding header: loopback then proves nothing, so staff only.
        local = _from_this_host(request) and not settings.BEHIND_PROXY
        return local or bool(user and user.is_staff)
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        response = HttpResponse(
            "A bearer token (LECTERN_METRICS_TOKEN) is required from another host.\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    registry.register(JobsCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says (and so do feed
    readers and bookmarks); the one icon we have, an SVG in static/, answers it."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
