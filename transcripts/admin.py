from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest

from transcripts.models import Profile, Segment, SegmentRevision, Transcript
from transcripts.usage import METERED_BACKENDS, month_start


class SegmentInline(admin.TabularInline):
    model = Segment
    fields = ["index", "start", "end", "text", "speaker", "avg_logprob"]
    readonly_fields = ["index", "start", "end", "avg_logprob"]
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Transcript)
class TranscriptAdmin(admin.ModelAdmin):
    list_display = ["job", "language", "duration", "created_at"]
    search_fields = ["job__title", "job__original_name", "job__owner__username", "text"]
    list_select_related = ["job"]
    readonly_fields = ["job", "language", "language_probability", "duration", "created_at"]
    inlines = [SegmentInline]


@admin.register(SegmentRevision)
class SegmentRevisionAdmin(admin.ModelAdmin):
    list_display = ["segment", "edited_by", "created_at"]
    list_select_related = ["segment", "edited_by"]
    raw_id_fields = ["segment", "edited_by"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "metered_minutes_quota"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["metered_minutes_quota"]
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
