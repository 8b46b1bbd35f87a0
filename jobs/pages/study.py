"""Study notes (on the job page and as Markdown) and questions about one's lectures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST

from jobs import selectors
from jobs.models import Job
from jobs.study.selectors import study_notes_current
from jobs.study.services import Asked, question_ask, study_notes_make


def _finished(request: HttpRequest, job_id: str) -> Job:
    job = selectors.job_for_user(request.user, job_id)
    if job.status != Job.Status.SUCCEEDED or not hasattr(job, "transcript"):
        raise Http404("This job has no transcript yet.")
    return job


@login_required
@require_GET
def job_notes(request: HttpRequest, job_id: str) -> HttpResponse:
    """The notes as a Markdown file; each moment links back to the job page's player."""
    job = _finished(request, job_id)
    notes = study_notes_current(job=job)
    assert notes is not None  # a finished job with a transcript always has notes
    page = request.build_absolute_uri(job.get_absolute_url())
    body = notes.markdown(job.display_name, link=lambda seconds: f"{page}#t={seconds:.0f}")
    response = HttpResponse(body, content_type="text/markdown; charset=utf-8")
    name = selectors.export_filename(job, "md").rsplit(".", 1)[0]
    response["Content-Disposition"] = f'attachment; filename="{name}-notes.md"'
    # Made from the stored lines: after an edit the next download must be the new one.
    patch_cache_control(response, private=True, no_cache=True)
    return response


@login_required
@require_POST
def job_notes_remake(request: HttpRequest, job_id: str) -> HttpResponse:
    job = _finished(request, job_id)
    notes = study_notes_make(job=job)
    if request.htmx:
        return render(request, "jobs/includes/study.html#study-notes", {"job": job, "notes": notes})
    messages.success(request, "The study notes were made again from the transcript.")
    return redirect(f"{job.get_absolute_url()}?tab=notes#study-notes")


def _answer(request: HttpRequest, asked: Asked, job: Job | None, status: int = 200) -> HttpResponse:
    # On the job page (htmx) a moment of this lecture seeks its player; on a page of its own
    # every moment is a link to its lecture's page.
    here = job if request.htmx else None
    scope = "all" if job is None or request.POST.get("scope") == "all" else "job"
    context = {"asked": asked, "job": job, "here": here, "scope": scope}
    if request.htmx:
        return render(request, "jobs/includes/ask.html#ask-answer", context, status=status)
    return render(request, "jobs/ask.html", context, status=status)


def _question(request: HttpRequest) -> str:
    return " ".join(request.POST.get("q", "").split())


@login_required
@require_POST
def job_ask(request: HttpRequest, job_id: str) -> HttpResponse:
    """Ask this lecture (or, with ``scope=all``, all of the user's lectures)."""
    job = _finished(request, job_id)
    question = _question(request)
    if not question:
        messages.warning(request, "Type a question first.")
        return redirect(f"{job.get_absolute_url()}?tab=ask#ask")
    everywhere = request.POST.get("scope") == "all"
    asked = question_ask(user=request.user, question=question, job=None if everywhere else job)
    return _answer(request, asked, job)


@login_required
@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    """Ask all of the user's lectures (the dashboard's box)."""
    question = _question(request)
    if not question:
        messages.warning(request, "Type a question first.")
        return redirect("jobs:dashboard")
    return _answer(request, question_ask(user=request.user, question=question), None)
