from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from jobs import services
from jobs.accounts import admin as accounts_admin  # noqa: F401  (registers the user admin)
from jobs.highlights.layout import LayoutResult
from jobs.models import ApiKey, Clip, Job, Webhook, WebhookDelivery


@admin.display(description="File")
def clip_file_name(clip: Clip) -> str:
    # As text, not a link: media is served only to its owner (jobs:clip-file), never at MEDIA_URL.
    return clip.file.name if clip.file else "—"


class ClipInline(admin.TabularInline):
    """The job's highlight clips, read-only: they are made by the pipeline, not by hand."""

    model = Clip
    fields = ["index", "title", "start", "end", "duration", "score", "layout", clip_file_name]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["start"]
    show_change_link = True


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = ["title", "job_link", "index", "start", "end", "duration", "score", "layout"]
    list_filter = ["layout"]
    search_fields = ["title", "reason", "job__title", "job__original_name", "job__owner__username"]
    list_select_related = ["job"]
    ordering = ["-created_at", "job", "start"]
    readonly_fields = [
        "job", "index", "start", "end", "duration", "ranges", "title", "reason", "score",
        "layout", clip_file_name, "created_at",
    ]  # fmt: skip

    @admin.display(description="Job", ordering="job__created_at")
    def job_link(self, clip: Clip) -> str:
        url = reverse("admin:jobs_job_change", args=[clip.job_id])
        return format_html('<a href="{}">{}</a>', url, clip.job.display_name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "display_name", "owner", "status", "stage", "progress", "duration_display", "backend",
        "attempts", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "stage", "backend", "source_kind"]
    search_fields = ["title", "original_name", "source_url", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["retry_jobs", "cancel_jobs", "delete_jobs_with_files"]
    inlines = [ClipInline]
    readonly_fields = [
        "id", "owner", "source_kind", "source_url", "original_name", "media", "media_sha256",
        "media_size", "has_video", "duration", "status", "stage", "progress", "error",
        "error_detail", "note", "attempts", "created_at", "started_at", "finished_at",
        "heartbeat_at", "worker", "backend", "model_name", "fallbacks", "realtime_factor",
        "layout_display",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["id", "owner", "title", "status", "stage", "progress", "note"]}),
        ("Source", {"fields": ["source_kind", "source_url", "original_name", "media",
                               "media_sha256", "media_size", "has_video", "duration"]}),
        ("Options", {"fields": ["language", "task", "requested_backend"]}),
        ("Run", {"fields": ["backend", "model_name", "fallbacks", "realtime_factor", "attempts",
                            "worker", "created_at", "started_at", "finished_at", "heartbeat_at"]}),
        ("Layout", {"fields": ["layout_display"]}),
        ("Failure", {"fields": ["error", "error_detail"], "classes": ["collapse"]}),
    ]  # fmt: skip

    @admin.display(description="Layout")
    def layout_display(self, job: Job) -> str:
        """The video's layout as the clips use it, and the detector's own where it was corrected."""

        analysis = job.analysis or {}

        def describe(data: dict | None) -> str:
            if not data:
                return "none"
            layout = LayoutResult.from_dict(data)
            boxes = [
                f"{name} {list(region.box)} ({region.confidence:.2f})"
                for name, region in (("slides", layout.screen), ("camera", layout.camera))
                if region
            ]
            faces = f", face in {layout.face_rate:.0%} of samples" if layout.faces else ""
            return (
                f"{layout.source}: {layout.kind}, confidence {layout.confidence:.2f}; "
                f"{'; '.join(boxes) or 'no boxes'}{faces}"
            )

        text = describe(analysis.get("layout"))
        if analysis.get("layout_detected"):
            text += f" — was {describe(analysis['layout_detected'])}"
        return text

    @admin.display(description="Duration", ordering="duration")
    def duration_display(self, job: Job) -> str:
        if job.duration is None:
            return "—"
        minutes, seconds = divmod(int(job.duration), 60)
        return f"{minutes}:{seconds:02d}"

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # ours also removes the files
        return actions

    @admin.action(description="Retry selected jobs")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        # Staff decide here: the owners' cap on active jobs is for what they queue themselves.
        count = sum(services.job_retry(job=job, within_cap=False) for job in queryset)
        self.message_user(request, f"{count} job(s) queued again.", messages.SUCCESS)

    @admin.action(description="Cancel selected jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        count = sum(services.job_cancel(job=job) for job in queryset)
        self.message_user(request, f"{count} job(s) cancelled.", messages.SUCCESS)

    @admin.action(description="Delete selected jobs with their files", permissions=["delete"])
    def delete_jobs_with_files(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        count = 0
        for job in queryset:
            services.job_delete(job=job)
            count += 1
        self.message_user(request, f"{count} job(s) deleted with their files.", messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: Job) -> None:
        services.job_delete(job=obj)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    # Keys are made by their owner (profile page) or `create_api_key`: the hash is all there is.
    readonly_fields = ["user", "prefix", "hashed_key", "created_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["created_at", "event", "job", "attempt", "status_code", "error", "duration"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    ordering = ["-created_at"]
    show_change_link = True


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["user", "url", "updated_at"]
    search_fields = ["url", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "secret", "created_at", "updated_at"]
    inlines = [WebhookDeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "job", "url", "attempt", "status_code", "duration"]
    list_filter = ["event", "status_code"]
    search_fields = ["url", "job__id", "webhook__user__username"]
    list_select_related = ["job", "webhook"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "webhook", "job", "event", "url", "attempt", "status_code", "error", "duration",
        "created_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
