"""Transcript editing: a segment's text in place (HTMX), with its history; works without JS."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs.models import Job
from jobs.pages.segment_forms import SegmentForm
from jobs.selectors import job_for_user
from jobs.services import clips_refresh_captions
from jobs.study.services import study_notes_follow_edit
from transcripts import services
from transcripts.models import Segment
from transcripts.selectors import segment_edits


def _segment_for_user(request: HttpRequest, job_id: object, index: int) -> tuple[Job, Segment]:
    job = job_for_user(request.user, job_id)
    transcript = getattr(job, "transcript", None)
    if transcript is None:
        raise Http404("This job has no transcript.")
    segment = get_object_or_404(Segment, transcript=transcript, index=index)
    return job, segment


def _job_anchor(job: Job, segment: Segment) -> str:
    return f"{job.get_absolute_url()}#segment-{segment.index}"


@login_required
@require_GET
def segment_detail(request: HttpRequest, job_id: str, index: int) -> HttpResponse:
    job, segment = _segment_for_user(request, job_id, index)
    if not request.htmx:
        return redirect(_job_anchor(job, segment))
    return render(
        request, "transcripts/segment.html#segment-item", {"job": job, "segment": segment}
    )


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, job_id: str, index: int) -> HttpResponse:
    job, segment = _segment_for_user(request, job_id, index)
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if form.is_valid():
            changed = services.segment_edit(
                segment=segment, text=form.cleaned_data["text"], user=request.user
            )
            if changed:
                # Captions burned into clips follow the edit: those clips are rendered again;
                # the study notes are made again by a task (a later GET only reads them).
                clips_refresh_captions(job=job, start=segment.start, end=segment.end)
                study_notes_follow_edit(job=job)
            if request.htmx:
                return render(
                    request,
                    "transcripts/segment.html#segment-item",
                    {"job": job, "segment": segment, "saved": changed},
                )
            if changed:
                messages.success(request, "The segment was saved.")
            return redirect(_job_anchor(job, segment))
        status = 400
    else:
        form = SegmentForm(initial={"text": segment.text})
        status = 200
    context = {"job": job, "segment": segment, "form": form}
    if request.htmx:
        return render(request, "transcripts/segment.html#segment-form", context, status=status)
    return render(request, "transcripts/segment_edit.html", context, status=status)


@login_required
@require_GET
def segment_history(request: HttpRequest, job_id: str, index: int) -> HttpResponse:
    job, segment = _segment_for_user(request, job_id, index)
    return render(
        request,
        "transcripts/segment_history.html",
        {"job": job, "segment": segment, "edits": segment_edits(segment)},
    )


@login_required
@require_POST
def segment_restore(
    request: HttpRequest, job_id: str, index: int, revision_id: int
) -> HttpResponse:
    job, segment = _segment_for_user(request, job_id, index)
    revision = get_object_or_404(segment.revisions, pk=revision_id)
    if services.segment_restore(segment=segment, revision=revision, user=request.user):
        clips_refresh_captions(job=job, start=segment.start, end=segment.end)
        study_notes_follow_edit(job=job)
    messages.success(request, "The earlier text was restored.")
    return redirect(_job_anchor(job, segment))
