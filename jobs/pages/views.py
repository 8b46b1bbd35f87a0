"""Thin function views: check ownership through selectors, call services, render."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs import selectors, services
from jobs.intake.uploads import refusal_message
from jobs.models import Job
from jobs.pages.forms import UploadForm
from jobs.ranged import ranged_file_response
from jobs.storage import direct, objects, serve
from transcripts import exports
from transcripts.media import MediaError, probe, served_type
from transcripts.models import Segment
from transcripts.selectors import search_segments

# htmx stops polling when a response has this status.
HTMX_STOP_POLLING = 286


def _workers() -> int:
    return int(settings.Q_CLUSTER["workers"])


def _job_list(request: HttpRequest) -> dict[str, object]:
    """The dashboard's page of jobs, each with its queue position and time left."""
    page = Paginator(selectors.jobs_for_user(request.user), 20).get_page(request.GET.get("page"))
    estimator = selectors.Estimator(workers=_workers())
    rows = [(job, estimator.estimate(job)) for job in page.object_list]
    return {"page": page, "rows": rows, "any_active": any(job.is_active for job, _ in rows)}


def _dashboard(request: HttpRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    hits = search_segments(request.user, query) if query else []
    return render(
        request,
        "jobs/dashboard.html",
        {
            "form": form,
            "query": query,
            "hits": hits,
            # With a bucket, the page's script sends files there itself (jobs.storage.direct).
            "direct_upload": objects.on_bucket(),
            **_job_list(request),
        },
        status=status,
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if request.htmx and request.htmx.target == "job-list":
        # The polled job list; once no job on it is queued or running, htmx stops asking.
        context = _job_list(request)
        response = render(request, "jobs/dashboard.html#job-list", context)
        if not context["any_active"]:
            response.status_code = HTMX_STOP_POLLING
        return response
    return _dashboard(request, UploadForm())


@login_required
@require_http_methods(["GET", "POST"])
def job_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return redirect("jobs:dashboard")
    files = request.FILES  # parses the body; the upload handler flags a request over a limit
    too_large = getattr(request, "upload_too_large", False)
    form = UploadForm(
        request.POST, files, upload_too_large=too_large, upload_refusal=refusal_message(request)
    )
    if not form.is_valid():
        return _dashboard(request, form, status=413 if too_large else 400)
    try:
        uploaded = [
            direct.upload_take(user_id=request.user.pk, token=token)
            for token in form.cleaned_data["uploaded"]
        ]
    except direct.UploadRefused as exc:
        form.add_error("media", str(exc))
        return _dashboard(request, form, status=400)
    try:
        jobs = services.job_create_batch(
            owner=request.user,
            uploads=form.cleaned_data["media"],
            urls=form.cleaned_data["urls"],
            uploaded=uploaded,
            title=form.cleaned_data["title"],
            language=form.cleaned_data["language"],
            task=form.cleaned_data["task"],
            highlights=form.cleaned_data["highlights"],
            clip_layout=form.cleaned_data["clip_layout"],
            diarize=form.cleaned_data["diarize"],
            speakers=form.cleaned_data["speakers"],
        )
    except services.TooManyJobs as exc:
        form.add_error(None, str(exc))
        return _dashboard(request, form, status=429)
    if len(jobs) == 1:
        job = jobs[0]
        if job.cached_from_hash:
            messages.success(request, f"“{job.display_name}” was transcribed before: here it is.")
        elif job.status == Job.Status.FAILED:  # refused at upload (over a limit): the page says why
            messages.warning(request, f"“{job.display_name}” could not be taken.")
        else:
            messages.success(request, f"“{job.display_name}” is queued.")
        return redirect(job)
    messages.success(request, f"{len(jobs)} jobs are queued as one batch.")
    return redirect("jobs:dashboard")


# What each download holds, said in the downloads menu beside the format's name.
FORMAT_LABELS = {
    "txt": "plain text",
    "srt": "subtitles",
    "vtt": "web subtitles",
    "json": "lines and words",
    "rttm": "speaker turns",
}


def _formats(segments: list[Segment]) -> list[tuple[str, str]]:
    """The exports worth offering: none of an empty transcript, RTTM only with speaker turns."""
    if not segments:
        return []
    has_speakers = any(segment.speaker for segment in segments)
    return [
        (fmt, FORMAT_LABELS.get(fmt, fmt))
        for fmt in exports.FORMATS
        if fmt != "rttm" or has_speakers
    ]


def _tabs(context: dict[str, object], wanted: str) -> tuple[list[tuple[str, str]], str, bool]:
    """The job page's tabs (the transcript's only shows on a phone), the one open, and whether
    the address chose it (``?tab=``): without JavaScript a tab is a link to the page again."""
    tabs = [("transcript", "Transcript"), ("notes", "Study notes"), ("ask", "Ask")]
    if context["clips"] or context["timeline"]:
        tabs.append(("highlights", "Highlights"))
    if context["show_layout"]:
        # A layout whose boxes disagree with the picture says so on its tab too.
        tabs.append(("layout", "Layout: check" if context["layout_doubted"] else "Layout"))
    if context["slides"]:
        tabs.append(("slides", "Slides"))
    if context["speakers"]:
        tabs.append(("speakers", "Speakers"))
    keys = [key for key, _ in tabs]
    if wanted in keys:
        return tabs, wanted, True
    return tabs, "notes", False


def _layout_doubted(job: Job) -> bool:
    """The detected layout disagrees with the picture's own panels and the owner has not
    checked it yet (``jobs.highlights.layout``: doubts)."""
    layout = (job.analysis or {}).get("layout") or {}
    return bool(layout.get("doubts")) and layout.get("source") != "corrected"


def _detail_context(job: Job, tab: str = "") -> dict[str, object]:
    transcript = getattr(job, "transcript", None) if job.status == Job.Status.SUCCEEDED else None
    segments = list(transcript.segments.all()) if transcript else []
    highlights = selectors.highlights_of(job) if transcript else None
    slides = _slides_of(job) if transcript else []
    context: dict[str, object] = {
        "clips": highlights.clips if highlights else [],
        "chapters": highlights.chapters if highlights else [],
        "timeline": highlights.timeline if highlights else "",
        "slides": slides,
        "job": job,
        "transcript": transcript,
        "segments": segments,
        "transcript_items": _with_slides(segments, slides),
        "formats": _formats(segments),
        "speakers": sorted({s.speaker for s in segments if s.speaker}),
        "show_layout": bool(job.has_video and job.wants_highlights),
        "layout_doubted": _layout_doubted(job),
        "draft": selectors.transcript_draft(job),
        "estimate": selectors.estimate(job, workers=_workers()),
    }
    context["tabs"], context["active_tab"], context["tab_chosen"] = _tabs(context, tab)
    return context


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    context = _detail_context(job, request.GET.get("tab", ""))
    if request.htmx and request.htmx.target == "job-progress":
        # The polled fragment; once the job is over it carries the result along (out of band)
        # and tells htmx to stop polling. Other htmx requests (a form's redirect) get the page.
        context["oob"] = True
        response = render(request, "jobs/detail.html#job-progress", context)
        if job.is_finished:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "jobs/detail.html", context)


@login_required
@require_POST
def job_cancel(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    if services.job_cancel(job=job):
        messages.info(request, "The job was cancelled.")
    else:
        messages.warning(request, "The job had already ended.")
    return redirect(job)


@login_required
@require_POST
def job_retry(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    try:
        retried = services.job_retry(job=job)
    except services.TooManyJobs as exc:
        messages.warning(request, str(exc))
        return redirect(job)
    if retried:
        messages.success(request, "The job is queued again.")
    elif job.status == Job.Status.FAILED and not job.retryable:
        messages.warning(request, "This job failed on its file: upload another file instead.")
    else:
        messages.warning(request, "Only a failed or cancelled job can be retried.")
    return redirect(job)


@login_required
@require_http_methods(["GET", "POST"])
def job_delete(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    if request.method == "GET":
        return render(request, "jobs/delete.html", {"job": job})
    name = job.display_name
    services.job_delete(job=job)
    messages.info(request, f"“{name}” was deleted with its files.")
    return redirect("jobs:dashboard")


@login_required
@require_GET
def job_media(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    if not job.media:
        raise Http404("This job has no media.")
    if objects.on_bucket():
        content_type = serve.media_type(job.media.name, has_video=job.has_video)
        return serve.signed_redirect(
            job.media.name,
            filename=job.original_name or Path(job.media.name).name,
            content_type=content_type,
            attachment=content_type is None,
        )
    path = Path(job.media.path)
    if not path.exists():
        raise Http404("The media file is gone.")
    # The type comes from the contents, never from the name the user gave the file.
    try:
        content_type = served_type(probe(path))
    except MediaError:
        content_type = None
    return ranged_file_response(
        request,
        path,
        filename=job.original_name or path.name,
        content_type=content_type or "application/octet-stream",
        attachment=content_type is None,
    )


@login_required
@require_GET
def job_poster(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    if job.poster and objects.on_bucket():
        return serve.signed_redirect(job.poster.name, content_type="image/jpeg")
    path = Path(job.poster.path) if job.poster else None
    if path is None or not path.is_file():
        raise Http404("This job has no poster frame.")
    return ranged_file_response(request, path)


@login_required
@require_GET
def clip_file(request: HttpRequest, job_id: str, index: int, kind: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    if objects.on_bucket():
        stored, name = selectors.clip_stored(job, index, kind)
        return serve.signed_redirect(
            stored,
            filename=name,
            content_type="video/mp4" if kind == "mp4" else "image/jpeg",
            attachment=request.GET.get("download") == "1",
        )
    path, name = selectors.clip_file(job, index, kind)
    return ranged_file_response(
        request, path, filename=name, attachment=request.GET.get("download") == "1"
    )


def _slides_of(job: Job) -> list[dict[str, object]]:
    """The slides read off the video, with the address of each one's picture."""
    slides = (job.analysis or {}).get("slides") or []
    return [
        {
            "index": index,
            "time": float(slide.get("time") or 0.0),
            "title": slide.get("title") or "",
            "url": reverse("jobs:slide-image", args=[job.pk, index]),
        }
        for index, slide in enumerate(slides)
        if isinstance(slide, dict) and slide.get("image")
    ]


def _with_slides(
    segments: list[Segment], slides: list[dict[str, object]]
) -> list[tuple[str, object]]:
    """The transcript as the page lists it: each slide just before the segment it came up in."""
    items: list[tuple[str, object]] = []
    pending = sorted(slides, key=lambda slide: float(slide["time"]))  # type: ignore[arg-type]
    for segment in segments:
        while pending and float(pending[0]["time"]) < segment.end:  # type: ignore[arg-type]
            items.append(("slide", pending.pop(0)))
        items.append(("segment", segment))
    items.extend(("slide", slide) for slide in pending)
    return items


@login_required
@require_GET
def slide_image(request: HttpRequest, job_id: str, index: int) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    slides = (job.analysis or {}).get("slides") or []
    if not 0 <= index < len(slides) or not isinstance(slides[index], dict):
        raise Http404("No such slide.")
    # The path comes from the job's own record, but is still kept inside the job's folder.
    name = str(slides[index].get("image") or "")
    if objects.on_bucket():
        if not serve.in_folder(name, job.media_dir()) or not name.endswith(".jpg"):
            raise Http404("The slide picture is gone.")
        return serve.signed_redirect(name, content_type="image/jpeg")
    folder = job.media_path().resolve()
    path = (Path(settings.MEDIA_ROOT) / name).resolve()
    if not path.is_relative_to(folder) or path.suffix != ".jpg" or not path.is_file():
        raise Http404("The slide picture is gone.")
    return ranged_file_response(request, path)


@login_required
@require_GET
def job_chapters(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    highlights = selectors.highlights_of(job)
    if not highlights.chapters:
        raise Http404("This job has no chapters.")
    response = HttpResponse(
        highlights.chapters_text + "\n", content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{selectors.export_filename(job, "txt").rsplit(".", 1)[0]}-chapters.txt"'
    )
    return response


@login_required
@require_POST
def job_speakers(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    names = {
        key.removeprefix("name_"): value
        for key, value in request.POST.items()
        if key.startswith("name_")
    }
    services.job_rename_speakers(job=job, names=names)
    messages.success(request, "Speaker names saved; the exports use them.")
    return redirect(f"{job.get_absolute_url()}?tab=speakers#speakers")


@login_required
@require_GET
def job_export(request: HttpRequest, job_id: str, fmt: str) -> HttpResponse:
    job = selectors.job_for_user(request.user, job_id)
    if fmt not in exports.FORMATS:
        raise Http404("Unknown format.")
    body = selectors.transcript_export(job, fmt)
    response = HttpResponse(body, content_type=exports.FORMATS[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{selectors.export_filename(job, fmt)}"'
    )
    # Made from the stored lines on each request: a browser (the player's captions track above
    # all) must ask again rather than keep the text from before an edit.
    patch_cache_control(response, private=True, no_cache=True)
    return response
