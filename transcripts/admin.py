from __future__ import annotations

from django.contrib import admin

from transcripts.models import Segment, SegmentRevision, Transcript


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
