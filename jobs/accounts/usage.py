"""Usage of metered backends (the OpenAI API) per user and month, and the quota check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from jobs.accounts.models import Profile
from jobs.models import Job
from transcripts.backends.base import QuotaExceeded

METERED_BACKENDS = ("openai",)


def month_start(now: datetime | None = None) -> datetime:
    now = timezone.localtime(now or timezone.now())
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Usage:
    jobs: int
    minutes: float  # all audio transcribed this month
    metered_minutes: float  # of which through a metered backend
    metered_quota: int  # minutes a month; 0 means no metered use allowed


def quota_minutes(user_id: int) -> int:
    custom = (
        Profile.objects.filter(user_id=user_id)
        .values_list("metered_minutes_quota", flat=True)
        .first()
    )
    return settings.METERED_MINUTES_QUOTA if custom is None else custom


def usage_this_month(user_id: int) -> Usage:
    jobs = Job.objects.filter(owner_id=user_id, created_at__gte=month_start())
    done = jobs.filter(status=Job.Status.SUCCEEDED)
    total = done.aggregate(seconds=Sum("duration"))["seconds"] or 0
    metered = (
        done.filter(backend__in=METERED_BACKENDS).aggregate(seconds=Sum("duration"))["seconds"] or 0
    )
    return Usage(
        jobs=jobs.count(),
        minutes=total / 60,
        metered_minutes=metered / 60,
        metered_quota=quota_minutes(user_id),
    )


def check_metered_quota(user_id: int | None, seconds: float) -> None:
    """Raise ``QuotaExceeded`` when ``seconds`` more would pass the user's monthly quota.

    Called by metered backends before anything is sent. Work with no user (the CLI) is the
    operator's own and is not limited.
    """
    if user_id is None or not get_user_model().objects.filter(pk=user_id).exists():
        return
    usage = usage_this_month(user_id)
    wanted = seconds / 60
    if usage.metered_minutes + wanted > usage.metered_quota:
        left = max(0.0, usage.metered_quota - usage.metered_minutes)
        raise QuotaExceeded(
            f"This recording needs {wanted:.0f} minutes of the OpenAI transcription service, but "
            f"only {left:.0f} of your {usage.metered_quota} monthly minutes are left. "
            "Ask the site's staff to raise your limit, or choose another backend."
        )
