"""Admin for users: their usage this month and their limits. Imported by jobs/admin.py."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest

from jobs.accounts.models import Profile
from jobs.accounts.usage import METERED_BACKENDS, month_start


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "metered_minutes_quota", "llm_answers_per_day"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["metered_minutes_quota", "llm_answers_per_day"]
    verbose_name_plural = "Usage limits"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class LecternUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = [
        "username", "email", "is_staff", "is_active", "jobs_this_month", "minutes_this_month",
        "metered_minutes_this_month", "last_login",
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        since = month_start()
        this_month = Q(jobs__created_at__gte=since)
        done = this_month & Q(jobs__status="succeeded")
        return (
            super()
            .get_queryset(request)
            .annotate(
                month_jobs=Count("jobs", filter=this_month),
                month_seconds=Sum("jobs__duration", filter=done),
                month_metered=Sum(
                    "jobs__duration", filter=done & Q(jobs__backend__in=METERED_BACKENDS)
                ),
            )
        )

    @admin.display(description="Jobs this month", ordering="month_jobs")
    def jobs_this_month(self, user) -> int:
        return user.month_jobs

    @admin.display(description="Minutes this month", ordering="month_seconds")
    def minutes_this_month(self, user) -> str:
        return f"{(user.month_seconds or 0) / 60:.1f}"

    @admin.display(description="OpenAI minutes", ordering="month_metered")
    def metered_minutes_this_month(self, user) -> str:
        return f"{(user.month_metered or 0) / 60:.1f}"
