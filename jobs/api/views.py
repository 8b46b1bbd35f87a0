"""The JSON API under /api/v1/ (django-ninja): jobs, transcripts and clips of the key's user.

Thin, like the views: the key's user comes from ``ApiKeyAuth``, every job is fetched through a
helper that checks ownership (another user's job is a 404, exactly like one that does not exist),
and writes go through ``jobs.services``. The OpenAPI document is /api/v1/openapi.json.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

import pydantic
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema, Status
from ninja import Path as PathParam
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import Field

from jobs import selectors, services
from jobs.api import keys, ratelimit
from jobs.api.speech_models import model_for, model_names
from jobs.intake import rules
from jobs.intake.uploads import media_problem, refusal_message
from jobs.models import LANGUAGES, ApiKey, Clip, Job
from jobs.ranged import ranged_file_response
from jobs.storage import objects, serve
from jobs.study.selectors import study_notes_current
from jobs.study.services import question_ask, study_notes_make
from transcripts import exports

# --- Authentication and rate limits -----------------------------------------------------------------


class RateLimited(HttpError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(429, f"Too many requests; try again in {retry_after} s.")


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer <key>``; counts the request against the key's and the user's limit."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = keys.api_key_authenticate(token)
        if key is None:
            return None
        decision = ratelimit.check(
            [
                (f"api-key:{key.pk}", settings.LECTERN_API_RATE_PER_MINUTE),
                (f"api-user:{key.user_id}", settings.LECTERN_API_USER_RATE_PER_MINUTE),
            ]
        )
        if not decision.allowed:
            raise RateLimited(decision.retry_after)
        return key


api = NinjaAPI(
    title="Lectern API",
    version="1",
    description=(
        "Transcripts, subtitles and highlight clips of your lectures. Authenticate with "
        "`Authorization: Bearer <key>`; create keys on your profile page."
    ),
    urls_namespace="api",
    auth=ApiKeyAuth(),
)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "A valid API key is required: Authorization: Bearer <key>."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="lectern"'
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(request, {"detail": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(services.TooManyJobs)
def _too_many_jobs(request: HttpRequest, exc: services.TooManyJobs) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=429)


def _owner(request: HttpRequest) -> AbstractBaseUser:
    return request.auth.user  # type: ignore[attr-defined]


def _job(request: HttpRequest, job_id: uuid.UUID) -> Job:
    """The key's user's job, or 404 whether it belongs to someone else or does not exist."""
    return selectors.job_for_user(_owner(request), job_id)


# --- Schemas -------------------------------------------------------------------------------------------

LanguageCode = Literal[tuple(code for code, _ in LANGUAGES)]  # type: ignore[valid-type]
Format = Literal["txt", "srt", "vtt", "json", "rttm"]


class Error(Schema):
    detail: str


class ValidationErrors(Schema):
    detail: list[dict[str, Any]]


ERRORS: dict[int, type[Schema]] = {401: Error, 404: Error, 422: ValidationErrors, 429: Error}


class JobCreateIn(Schema):
    """Options of a new job; the media is ``file`` (multipart) or ``url``."""

    model_config = pydantic.ConfigDict(extra="forbid")

    url: str = Field("", max_length=2000, description="A video page or media link (http/https).")
    title: str = Field("", max_length=200)
    language: LanguageCode = "auto"  # type: ignore[valid-type]
    task: Literal["transcribe", "translate"] = "transcribe"
    highlights: Literal["auto", "yes", "no"] = Field(
        "auto", description="Highlight clips: auto makes them for videos only."
    )
    clip_layout: Literal["vertical", "original"] = Field(
        "vertical", description="Highlight clips: vertical (9:16) or the original picture."
    )
    diarize: bool = Field(False, description="Label who speaks when (speaker turns, RTTM).")
    speakers: int | None = Field(
        None, ge=1, le=20, description="How many speakers, with diarize; empty to estimate it."
    )
    model: str = Field(
        "",
        max_length=200,
        description="A speech model this server runs (GET /v1/models); empty for its default.",
    )


class JobOut(Schema):
    id: uuid.UUID
    title: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    stage: str
    progress: int
    source_kind: Literal["upload", "url"]
    source_url: str
    original_name: str
    language: str
    task: str
    duration: float | None
    has_video: bool
    error: str = Field(description="Why the job failed, for people.")
    note: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: dict[str, str]


class JobPage(Schema):
    items: list[JobOut]
    count: int
    page: int
    page_size: int
    has_next: bool


class PageIn(Schema):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None


class ClipOut(Schema):
    index: int
    title: str
    reason: str
    start: float
    end: float
    duration: float
    score: float
    video_url: str | None
    thumbnail_url: str | None


def _job_out(job: Job) -> dict[str, Any]:
    base = f"/api/v1/jobs/{job.pk}"
    links = {"self": base, "web": job.get_absolute_url(), "clips": f"{base}/clips"}
    if job.status == Job.Status.SUCCEEDED:
        # Speaker turns (RTTM) only where speakers were labelled: without, the file is empty.
        links |= {
            f"transcript_{fmt}": f"{base}/transcript/{fmt}"
            for fmt in exports.FORMATS
            if fmt != "rttm" or job.diarize
        }
    return {
        "id": job.pk,
        "title": job.display_name,
        "status": job.status,
        "stage": job.stage,
        "progress": job.progress,
        "source_kind": job.source_kind,
        "source_url": job.source_url,
        "original_name": job.original_name,
        "language": job.language,
        "task": job.task,
        "duration": job.duration,
        "has_video": job.has_video,
        "error": job.error,
        "note": job.note,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "links": links,
    }


def _clip_out(job: Job, clip: Clip) -> dict[str, Any]:
    base = f"/api/v1/jobs/{job.pk}/clips/{clip.index}"
    return {
        "index": clip.index,
        "title": clip.title,
        "reason": clip.reason,
        "start": clip.start,
        "end": clip.end,
        "duration": clip.duration,
        "score": clip.score,
        "video_url": f"{base}/video" if clip.file else None,
        "thumbnail_url": f"{base}/thumbnail" if clip.thumbnail else None,
    }


# --- Jobs ----------------------------------------------------------------------------------------------

_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **JobCreateIn.model_json_schema()["properties"],
                    },
                    "additionalProperties": False,
                }
            },
            "application/json": {
                "schema": {
                    **JobCreateIn.model_json_schema(),
                    # Without a file, a url is what a JSON body is for.
                    "required": ["url"],
                }
            },
        },
    }
}


def _create_input(request: HttpRequest) -> tuple[dict[str, Any], Any]:
    """The fields and the upload of a create request, multipart or JSON."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"null")
        except ValueError:
            raise HttpError(400, "The body is not valid JSON.") from None
        except RecursionError:  # thousands of nested brackets
            raise HttpError(400, "The body is nested too deeply.") from None
        if not isinstance(data, dict):
            raise HttpError(400, "The body must be a JSON object.")
        return data, None
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        files = request.FILES  # parses the body; the upload handler flags an oversized file
        if getattr(request, "upload_too_large", False):
            raise HttpError(413, f"The file is larger than the {settings.MAX_UPLOAD_MB} MB limit.")
        if refusal_message(request):
            raise HttpError(400, refusal_message(request))
        data = {name: request.POST.get(name) for name in request.POST}
        extra = [name for name in files if name != "file"]
        if extra:
            raise HttpError(400, f"Unexpected file field {extra[0]!r}; send the media as 'file'.")
        return data, files.get("file")
    raise HttpError(415, "Send multipart/form-data (with a file) or application/json (with a url).")


@api.post(
    "/jobs",
    response={201: JobOut, 400: Error, 413: Error, 415: Error, **ERRORS},
    description=(
        "The same options as the upload form: language, task, highlights, clip_layout, diarize "
        "(speaker turns) with speakers, and a model from GET /v1/models. An upload that is not "
        "media (or has no sound, or is too long) is refused with 415 and the reason."
    ),
    openapi_extra=_CREATE_BODY,
    summary="Create a job from an upload or a link",
    tags=["jobs"],
)
def create_job(request: HttpRequest) -> Status:
    data, upload = _create_input(request)
    try:
        options = JobCreateIn.model_validate(data)
    except pydantic.ValidationError as exc:
        raise NinjaValidationError(
            exc.errors(include_url=False, include_context=False, include_input=False)
        ) from None
    if (upload is None) == (not options.url):
        raise HttpError(400, "Send exactly one of a file or a url.")
    if upload is not None and not upload.size:
        raise HttpError(400, "The file is empty (0 bytes).")
    if options.speakers is not None and not options.diarize:
        raise HttpError(400, "speakers is the number of speakers to label: send diarize=true too.")
    model = ""
    if options.model:
        if options.model not in model_names():
            raise HttpError(
                400,
                f"The model {options.model!r} does not exist on this server; choose one of "
                f"{', '.join(model_names())} (GET /v1/models).",
            )
        model = model_for(options.model)
    if upload is not None and (problem := media_problem(upload)):
        # What the worker would say, said before a job is made of it.
        raise HttpError(415, problem)
    url = ""
    if options.url:
        try:
            url = rules.validate_url(options.url)
        except rules.UnsafeURL as exc:
            raise HttpError(400, str(exc)) from None
    job = services.job_create(
        owner=_owner(request),
        upload=upload,
        url=url,
        title=options.title,
        language=options.language,
        task=options.task,
        highlights={"yes": True, "no": False}.get(options.highlights),
        clip_layout=options.clip_layout,
        diarize=options.diarize,
        speakers=options.speakers,
        model=model,
    )
    return Status(201, _job_out(job))


@api.get("/jobs", response={200: JobPage, **ERRORS}, summary="List my jobs", tags=["jobs"])
def list_jobs(request: HttpRequest, query: Query[PageIn]) -> dict[str, Any]:
    jobs = selectors.jobs_for_user(_owner(request), status=query.status or "")
    offset = (query.page - 1) * query.page_size
    # One row more than the page tells whether there is a next page without a second count.
    rows = list(jobs[offset : offset + query.page_size + 1])
    return {
        "items": [_job_out(job) for job in rows[: query.page_size]],
        "count": jobs.count(),
        "page": query.page,
        "page_size": query.page_size,
        "has_next": len(rows) > query.page_size,
    }


@api.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, summary="Get a job", tags=["jobs"])
def get_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    return _job_out(_job(request, job_id))


# --- Transcripts and clips -----------------------------------------------------------------------------

_TEXT = {"schema": {"type": "string"}}
_TRANSCRIPT_RESPONSES = {
    "responses": {
        200: {  # int, as ninja keys its own responses: "200" would be a second key
            "description": "The transcript in the format asked for.",
            "content": {
                "text/plain": _TEXT,
                "application/x-subrip": _TEXT,
                "text/vtt": _TEXT,
                "application/json": {"schema": {"type": "object"}},
            },
        }
    }
}


@api.get(
    "/jobs/{job_id}/transcript/{fmt}",
    response={200: None, **ERRORS},
    openapi_extra=_TRANSCRIPT_RESPONSES,
    summary="Download the transcript as txt, srt, vtt, json or rttm (speaker turns)",
    tags=["transcripts"],
)
def get_transcript(request: HttpRequest, job_id: uuid.UUID, fmt: Format) -> HttpResponse:
    job = _job(request, job_id)
    return HttpResponse(selectors.transcript_export(job, fmt), content_type=exports.FORMATS[fmt])


@api.get(
    "/jobs/{job_id}/clips",
    response={200: list[ClipOut], **ERRORS},
    summary="List the highlight clips of a job",
    tags=["clips"],
)
def list_clips(request: HttpRequest, job_id: uuid.UUID) -> list[dict[str, Any]]:
    job = _job(request, job_id)
    return [_clip_out(job, clip) for clip in job.clips.order_by("index")]


def _clip_file(request: HttpRequest, job_id: uuid.UUID, index: int, kind: str) -> HttpResponse:
    job = _job(request, job_id)  # the owner check, before anything is signed
    if objects.on_bucket():
        stored, name = selectors.clip_stored(job, index, kind)
        return serve.signed_redirect(
            stored,
            filename=name,
            content_type="video/mp4" if kind == "mp4" else "image/jpeg",
            attachment=True,
        )
    path, name = selectors.clip_file(job, index, kind)
    response = ranged_file_response(request, path, filename=name, attachment=True)
    # Set here as well: ranged_file_response's whole-file branch leaves the disposition out.
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _binary(content_type: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": "The file.",
                "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
            },
            302: {
                "description": "With object storage: the file is in the bucket, at the short-lived "
                "signed URL in Location (signed only after the owner check).",
            },
        }
    }


ClipIndex = PathParam(..., ge=0, le=999)


@api.get(
    "/jobs/{job_id}/clips/{index}/video",
    response={200: None, **ERRORS},
    openapi_extra=_binary("video/mp4"),
    summary="Download a clip (MP4)",
    tags=["clips"],
)
def get_clip_video(request: HttpRequest, job_id: uuid.UUID, index: int = ClipIndex) -> HttpResponse:
    return _clip_file(request, job_id, index, "mp4")


@api.get(
    "/jobs/{job_id}/clips/{index}/thumbnail",
    response={200: None, **ERRORS},
    openapi_extra=_binary("image/jpeg"),
    summary="Download a clip's thumbnail (JPEG)",
    tags=["clips"],
)
def get_clip_thumbnail(
    request: HttpRequest, job_id: uuid.UUID, index: int = ClipIndex
) -> HttpResponse:
    return _clip_file(request, job_id, index, "jpg")


# --- Study notes and questions --------------------------------------------------------------------------


class NoteItemOut(Schema):
    text: str
    start: float = Field(description="Seconds: the moment the item comes from.")
    end: float


class NotePointOut(NoteItemOut):
    topic: str


class GlossaryOut(Schema):
    term: str
    definition: str = Field(description="The sentence that defines the term, as said.")
    start: float
    end: float


class SelfTestOut(Schema):
    question: str
    answer: str
    kind: Literal["cloze", "definition", "lecturer", "model"]
    start: float = Field(description="Seconds: where the answer is given.")
    end: float


class StudyNotesOut(Schema):
    overview: str
    summary: list[NoteItemOut]
    points: list[NotePointOut]
    glossary: list[GlossaryOut]
    questions: list[SelfTestOut]
    maker: str = Field(description="extractive (no language model), gemini or openai.")
    note: str = Field("", description="Why a model's notes are not these, or that they are old.")
    markdown: str = Field(description="The same notes as a Markdown document.")


class QuestionIn(Schema):
    model_config = pydantic.ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=500)
    job_id: uuid.UUID | None = Field(None, description="Ask this lecture only; none: all of mine.")


class PassageOut(Schema):
    number: int = Field(description="The answer cites it as [number].")
    job_id: uuid.UUID
    title: str
    start: float
    end: float
    moment: float = Field(description="Seconds to play from; inside [start, end].")
    text: str
    link: str = Field(description="The job page, playing from the moment.")


class AnswerOut(Schema):
    question: str
    answer: str = Field(description="May cite passages as [1], [2].")
    answered: bool = Field(description="False when the recordings do not answer the question.")
    cited: list[int]
    by: Literal["passages", "gemini", "openai"]
    model: str
    note: str = Field(description="Why no model answered, when one is configured.")
    passages: list[PassageOut]


def _notes_out(request: HttpRequest, job: Job) -> dict[str, Any]:
    job_page = request.build_absolute_uri(job.get_absolute_url())
    notes = study_notes_current(job=job)
    if notes is None:
        raise HttpError(404, "This job has no transcript yet.")
    return {
        **notes.to_dict(),
        "markdown": notes.markdown(job.display_name, link=lambda s: f"{job_page}#t={s:.0f}"),
    }


@api.get(
    "/jobs/{job_id}/notes",
    response={200: StudyNotesOut, **ERRORS},
    summary="Get the study notes of a job (made again first when the transcript was edited)",
    tags=["study"],
)
def get_notes(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    return _notes_out(request, _job(request, job_id))


@api.post(
    "/jobs/{job_id}/notes",
    response={200: StudyNotesOut, **ERRORS},
    summary="Make the study notes of a job again",
    tags=["study"],
)
def remake_notes(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    job = _job(request, job_id)
    if job.status != Job.Status.SUCCEEDED or not hasattr(job, "transcript"):
        raise HttpError(404, "This job has no transcript yet.")
    study_notes_make(job=job)
    return _notes_out(request, job)


@api.post(
    "/ask",
    response={200: AnswerOut, 400: Error, **ERRORS},
    summary="Ask a question of one lecture or of all my lectures",
    description=(
        "The passages of your transcripts that match, with their times; with a language model "
        "configured on the server, an answer grounded in them that cites them as [n]."
    ),
    tags=["study"],
)
def ask(request: HttpRequest, body: QuestionIn) -> dict[str, Any]:
    job = _job(request, body.job_id) if body.job_id else None
    question = " ".join(body.question.split())
    if not question:
        raise HttpError(422, "The question is empty.")
    asked = question_ask(user=_owner(request), question=question, job=job)
    answer = asked.answer
    return {
        "question": asked.question,
        "answer": answer.text,
        "answered": answer.answered,
        "cited": answer.cited,
        "by": answer.by,
        "model": answer.model,
        "note": answer.note,
        "passages": [
            {
                "number": number,
                "job_id": found.job.pk,
                "title": found.job.display_name,
                "start": found.passage.start,
                "end": found.passage.end,
                "moment": found.passage.moment,
                "text": found.passage.text,
                "link": request.build_absolute_uri(
                    f"{found.job.get_absolute_url()}#t={found.passage.moment:.2f}"
                ),
            }
            for number, found in enumerate(asked.found, start=1)
        ],
    }


# ``include("jobs.api.views")`` in config/urls.py: the API's URLs under the namespace it reverses with.
urlpatterns = api.urls[0]
app_name = api.urls_namespace
