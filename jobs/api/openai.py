"""The OpenAI-compatible speech-to-text API under /v1/, so that OpenAI's clients work with Lectern.

``POST /v1/audio/transcriptions`` and ``/v1/audio/translations`` take the multipart form OpenAI
documents and answer its shapes (``json``, ``text``, ``srt``, ``verbose_json``, ``vtt``, and
``stream=true`` as server-sent ``transcript.text.delta``/``transcript.text.done`` events);
``GET /v1/models`` lists the speech models this server runs. The Bearer token is a Lectern API key,
counted against the same per-key and per-user limits as the JSON API, and every error has OpenAI's
shape (``{"error": {"message", "type", "param", "code"}}``) and status, so the SDK raises its own
exceptions.

Every request is an ordinary job of the key's owner: made by ``services.job_create`` (so it goes
through the queue, the runner and the hardware-selected backends, shows on the dashboard, and comes
from the owner's content cache when the same file comes again); the request waits for it, polling
the job's row, for at most ``LECTERN_OPENAI_WAIT_SECONDS``. The OpenAPI document is
/v1/openapi.json.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from jobs import selectors, services
from jobs.api import waits
from jobs.api.speech_models import DEFAULT_ALIAS, model_for, model_names
from jobs.api.views import ApiKeyAuth, RateLimited
from jobs.intake.uploads import refusal_message, upload_on_disk
from jobs.models import Job
from transcripts import exports
from transcripts.backends.openai_api import LANGUAGE_NAMES
from transcripts.media import MediaError, probe
from transcripts.models import Transcript

# --- Errors in OpenAI's shape ----------------------------------------------------------------------


class OpenAIError(Exception):
    """An error answered as ``{"error": {...}}`` with ``status``, as OpenAI's API does."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}


def _error_response(exc: OpenAIError) -> HttpResponse:
    body = {
        "error": {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}
    }
    response = JsonResponse(body, status=exc.status)
    # The SDK retries 408, 409, 429 and 5xx by itself. Only a rate limit is worth that: a retry
    # of anything else would upload the file again and start a second job.
    if exc.status != 429:
        response["x-should-retry"] = "false"
    for name, value in exc.headers.items():
        response[name] = value
    return response


api = NinjaAPI(
    title="Lectern OpenAI-compatible API",
    version="1",
    description=(
        "OpenAI's audio API, answered by Lectern: point an OpenAI client's base URL at "
        "`https://<your server>/v1` and use a Lectern API key as its key. Every request is a job "
        "on your dashboard."
    ),
    urls_namespace="openai",
    auth=ApiKeyAuth(),
)


@api.exception_handler(OpenAIError)
def _openai_error(request: HttpRequest, exc: OpenAIError) -> HttpResponse:
    return _error_response(exc)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error_response(
        OpenAIError(
            401,
            "Incorrect API key provided. Use a Lectern API key (made on your profile page) as "
            "the Bearer token: Authorization: Bearer lec_...",
            code="invalid_api_key",
            headers={"WWW-Authenticate": 'Bearer realm="lectern"'},
        )
    )


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    return _error_response(
        OpenAIError(
            429,
            f"Rate limit reached for this API key or its user; try again in {exc.retry_after} s.",
            type="requests",
            code="rate_limit_exceeded",
            headers={"Retry-After": str(exc.retry_after)},
        )
    )


@api.exception_handler(services.TooManyJobs)
def _too_many_jobs(request: HttpRequest, exc: services.TooManyJobs) -> HttpResponse:
    return _error_response(OpenAIError(429, str(exc), type="requests", code="too_many_jobs"))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error_response(OpenAIError(404, str(exc) or "Not found.", code="not_found"))


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    where = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    return _error_response(
        OpenAIError(400, first.get("msg", "Invalid request."), param=".".join(where) or None)
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error_response(OpenAIError(exc.status_code, str(exc)))


def _owner(request: HttpRequest) -> AbstractBaseUser:
    return request.auth.user  # type: ignore[attr-defined]


# --- Models ----------------------------------------------------------------------------------------


def _model(name: str) -> str:
    """The job's ``model`` for an OpenAI model name ("" for the configured one), or a 404."""
    if name not in model_names():
        raise OpenAIError(
            404,
            f"The model {name!r} does not exist on this server; "
            f"choose one of {', '.join(model_names())} (GET /v1/models).",
            param="model",
            code="model_not_found",
        )
    return model_for(name)


class ModelOut(Schema):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(Schema):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class ErrorDetail(Schema):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorOut(Schema):
    error: ErrorDetail


ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut, 429: ErrorOut}
# Models are not dated here; a fixed time keeps the list the same from one request to the next.
MODELS_CREATED = 1_700_000_000


def _model_out(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": MODELS_CREATED, "owned_by": "lectern"}


@api.get("/models", response={200: ModelList, **ERRORS}, summary="List models", tags=["models"])
def list_models(request: HttpRequest) -> dict[str, Any]:
    return {"object": "list", "data": [_model_out(name) for name in model_names()]}


@api.get(
    "/models/{model_id}",
    response={200: ModelOut, **ERRORS},
    summary="Retrieve a model",
    tags=["models"],
)
def get_model(request: HttpRequest, model_id: str) -> dict[str, Any]:
    _model(model_id)
    return _model_out(model_id)


# --- The form --------------------------------------------------------------------------------------

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
RESPONSE_FORMATS: tuple[str, ...] = ("json", "text", "srt", "verbose_json", "vtt")
GRANULARITIES = ("word", "segment")
LANGUAGE_CODES = frozenset(LANGUAGE_NAMES.values())
# Whisper reads only the last 224 tokens of a prompt; this is a bound on the request, not on that.
MAX_PROMPT_CHARS = 4000


@dataclass(frozen=True)
class AudioRequest:
    upload: UploadedFile
    model: str  # the job's model: "" for the configured one
    language: str  # "auto" or an ISO 639-1 code
    prompt: str
    response_format: str
    granularities: frozenset[str]
    stream: bool


def _form(request: HttpRequest, *, translate: bool) -> AudioRequest:
    """The fields of an audio request, checked as OpenAI checks them, or an ``OpenAIError``."""
    if request.content_type != "multipart/form-data":
        raise OpenAIError(
            415,
            "Send the audio as multipart/form-data, with the file in the 'file' field.",
            code="unsupported_media_type",
        )
    files = request.FILES  # parses the body; the upload handler flags an oversized file
    if getattr(request, "upload_too_large", False):
        raise OpenAIError(
            413,
            f"The file is larger than this server's {settings.MAX_UPLOAD_MB} MB limit.",
            param="file",
            code="file_too_large",
        )
    if refused := refusal_message(request):
        raise OpenAIError(413, refused, param="file", code="file_too_large")
    upload = files.get("file")
    if upload is None:
        raise OpenAIError(
            400, "The 'file' field is missing: send the audio as the form field 'file'.",
            param="file", code="missing_file",
        )  # fmt: skip
    if not upload.size:
        raise OpenAIError(400, "The file is empty (0 bytes).", param="file", code="empty_file")
    fields = request.POST
    model = _model(fields.get("model") or DEFAULT_ALIAS)
    response_format = fields.get("response_format") or "json"
    if response_format not in RESPONSE_FORMATS:
        raise OpenAIError(
            400,
            f"Unknown response_format {response_format!r}; "
            f"choose one of {', '.join(RESPONSE_FORMATS)}.",
            param="response_format",
            code="unsupported_value",
        )
    language = "auto"
    if not translate and fields.get("language"):
        language = fields["language"].strip().lower()
        if language not in LANGUAGE_CODES:
            raise OpenAIError(
                400,
                f"Unknown language {language!r}; give an ISO 639-1 code such as 'en', or none "
                "to detect it.",
                param="language",
                code="unsupported_value",
            )
        if (model or settings.LECTERN_MODEL).endswith(".en") and language != "en":
            raise OpenAIError(
                400,
                f"The model {model or DEFAULT_ALIAS} only understands English, not {language!r}.",
                param="language",
                code="unsupported_value",
            )
    prompt = fields.get("prompt") or ""
    if len(prompt) > MAX_PROMPT_CHARS:
        raise OpenAIError(
            400, f"The prompt is longer than {MAX_PROMPT_CHARS} characters.", param="prompt",
            code="string_above_max_length",
        )  # fmt: skip
    if fields.get("temperature"):
        try:
            temperature = float(fields["temperature"])
        except ValueError:
            temperature = math.nan
        if not 0 <= temperature <= 1:
            raise OpenAIError(
                400, "temperature must be a number from 0 to 1.", param="temperature",
                code="invalid_value",
            )  # fmt: skip
    granularities = frozenset(
        fields.getlist("timestamp_granularities[]") + fields.getlist("timestamp_granularities")
    )
    if granularities - set(GRANULARITIES):
        raise OpenAIError(
            400, "timestamp_granularities[] takes 'word' and/or 'segment'.",
            param="timestamp_granularities", code="invalid_value",
        )  # fmt: skip
    stream = (fields.get("stream") or "").lower() in ("true", "1")
    if stream and response_format not in ("json", "text"):
        raise OpenAIError(
            400, "stream=true answers text events; use response_format json or text with it.",
            param="stream", code="unsupported_value",
        )  # fmt: skip
    return AudioRequest(
        upload=upload,
        model=model,
        language=language,
        prompt=prompt,
        response_format=response_format,
        granularities=granularities or frozenset({"segment"}),
        stream=stream,
    )


def _check_media(upload: UploadedFile) -> None:
    """Refuse what no worker could use before it becomes a job: not media, no sound, too long."""
    with upload_on_disk(upload) as path:
        try:
            info = probe(path)
        except MediaError as exc:
            raise OpenAIError(415, str(exc), param="file", code="invalid_file_format") from None
    if not info.has_audio:
        raise OpenAIError(
            415, "This file has no audio track to transcribe.", param="file",
            code="invalid_file_format",
        )  # fmt: skip
    if info.duration > settings.MAX_DURATION_MINUTES * 60:
        raise OpenAIError(
            413,
            f"This recording is {info.duration / 60:.0f} minutes long; this server's limit is "
            f"{settings.MAX_DURATION_MINUTES} minutes.",
            param="file",
            code="audio_too_long",
        )


# --- The answers -----------------------------------------------------------------------------------


def _language_name(code: str) -> str:
    """ "en" -> "english", as verbose_json names languages; the first name of a code wins."""
    for name, known in LANGUAGE_NAMES.items():
        if known == code:
            return name
    return code


def _compression_ratio(text: str) -> float:
    """Whisper's measure of repetition: the text's length over its zlib-compressed length."""
    data = text.encode()
    return round(len(data) / len(zlib.compress(data)), 4) if data else 0.0


def _usage(duration: float) -> dict[str, Any]:
    return {"type": "duration", "seconds": math.ceil(duration)}


def verbose_json(
    transcript: Transcript, *, granularities: frozenset[str], translate: bool
) -> dict[str, Any]:
    """``transcript`` as OpenAI's ``verbose_json`` (TranscriptionVerbose, TranslationVerbose)."""
    segments = list(transcript.segments.order_by("index"))
    body: dict[str, Any] = {
        "task": "translate" if translate else "transcribe",
        "language": "english" if translate else _language_name(transcript.language),
        "duration": transcript.duration,
        "text": transcript.text,
    }
    if "segment" in granularities or translate:
        body["segments"] = [
            {
                "id": index,
                # Whisper's seek is in mel frames, a hundred a second.
                "seek": int(segment.start * 100),
                "start": segment.start,
                "end": segment.end,
                "text": segment.text,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": segment.avg_logprob if segment.avg_logprob is not None else 0.0,
                "compression_ratio": _compression_ratio(segment.text),
                "no_speech_prob": 0.0,
            }
            for index, segment in enumerate(segments)
        ]
    if "word" in granularities and not translate:
        body["words"] = [
            {"word": str(word.get("word", "")).strip(), "start": word["start"], "end": word["end"]}
            for segment in segments
            for word in segment.words or []
            if str(word.get("word", "")).strip()
        ]
    body["usage"] = _usage(transcript.duration)
    return body


def _answer(job: Job, form: AudioRequest, *, translate: bool) -> HttpResponse:
    """The finished job's transcript in the format asked for."""
    transcript = Transcript.objects.filter(job=job).first()
    if transcript is None:  # succeeded without a transcript: nothing any format could show
        raise Http404("The job finished without a transcript.")
    if form.response_format == "json":
        return JsonResponse({"text": transcript.text, "usage": _usage(transcript.duration)})
    if form.response_format == "verbose_json":
        return JsonResponse(
            verbose_json(transcript, granularities=form.granularities, translate=translate)
        )
    if form.response_format == "text":
        return HttpResponse(transcript.text + "\n", content_type="text/plain; charset=utf-8")
    return HttpResponse(
        selectors.transcript_export(job, form.response_format),
        content_type=exports.FORMATS[form.response_format],
    )


def _job_url(request: HttpRequest, job: Job) -> str:
    return request.build_absolute_uri(job.get_absolute_url())


def _ended_badly(request: HttpRequest, job: Job) -> OpenAIError:
    """The error for a job that failed or was cancelled while its request waited."""
    page = _job_url(request, job)
    if job.status == Job.Status.CANCELLED:
        return OpenAIError(
            409, f"The job was cancelled before it finished ({page}).", type="server_error",
            code="job_cancelled",
        )  # fmt: skip
    if "QuotaExceeded" in job.error_detail:
        return OpenAIError(
            429, f"{job.error} ({page})", type="insufficient_quota", code="insufficient_quota"
        )
    return OpenAIError(
        500, f"The transcription failed: {job.error} ({page})", type="server_error",
        code="job_failed",
    )  # fmt: skip


def _still_running(request: HttpRequest, job: Job, waited: float) -> OpenAIError:
    return OpenAIError(
        504,
        f"The transcription is still running after {waited:.0f} s (this server waits at most "
        f"{settings.LECTERN_OPENAI_WAIT_SECONDS} s). It goes on as job {job.pk}: follow it at "
        f"{_job_url(request, job)}, or fetch it from "
        f"{request.build_absolute_uri(f'/api/v1/jobs/{job.pk}')}.",
        type="server_error",
        code="timeout",
    )


# The first look comes soon (a job reused from the cache is done at once); later ones back off so
# that a long lecture costs an indexed read of one row every 0.2 s, not a busy loop. (At 0.5 s a
# one-minute file's answer came up to an eighth of its time late: the bench's goal is 1.05x.)
FIRST_POLL, LONGEST_POLL = 0.05, 0.2


class ClientGone(Exception):
    """The client hung up while its request waited: stop waiting (the job goes on)."""


def _polls(request: HttpRequest, deadline: float) -> Iterator[None]:
    """Yields before each look at the job until ``deadline`` (time.monotonic()), sleeping between;
    raises ``ClientGone`` as soon as the client has closed its connection."""
    pause = FIRST_POLL
    while True:
        yield
        if time.monotonic() >= deadline:
            return
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 1.5, LONGEST_POLL)
        if waits.client_gone(request):
            raise ClientGone


def _wait(request: HttpRequest, job: Job, deadline: float) -> bool:
    """Poll the job's row until it is finished (True) or the deadline passes (False)."""
    for _ in _polls(request, deadline):
        job.refresh_from_db(fields=["status", "error", "error_detail", "duration"])
        if job.is_finished:
            return True
    return False


def _sse(event: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


def _events(
    request: HttpRequest, job: Job, deadline: float, started: float, slot: waits.Slot
) -> Iterator[bytes]:
    """The stream's events (``_event_stream``); the waiting slot is given back when it ends."""
    try:
        yield from _event_stream(request, job, deadline, started)
    except ClientGone:
        return
    finally:
        slot.release()


class _Events:
    """The stream's events, with a ``close`` that gives the slot back: Django calls it when the
    server closes the response, also when the stream was never started (a generator's own
    ``finally`` would not run then)."""

    def __init__(self, events: Iterator[bytes], slot: waits.Slot) -> None:
        self.events, self.slot = events, slot

    def __iter__(self) -> Iterator[bytes]:
        return self.events

    def close(self) -> None:
        self.events.close()  # type: ignore[attr-defined]
        self.slot.release()


def _event_stream(
    request: HttpRequest, job: Job, deadline: float, started: float
) -> Iterator[bytes]:
    """``transcript.text.delta`` for each line as it is decoded, then ``transcript.text.done``.

    Lines come from the job's draft (``selectors.transcript_draft``). The finished transcript can
    differ from the draft (the speech check takes out invented lines), so what the deltas have not
    said yet is sent as a last delta where the deltas are a beginning of it; ``done`` always
    carries the whole finished text.
    """
    said, lines_sent = "", 0
    for _ in _polls(request, deadline):
        job.refresh_from_db(fields=["status", "error", "error_detail", "duration"])
        if job.is_finished:
            break
        draft = selectors.transcript_draft(job, last=32)
        if draft.count < lines_sent:  # another backend starts again after a failure
            lines_sent = draft.count
        if draft.count - lines_sent > len(draft.lines):
            draft = selectors.transcript_draft(job, last=draft.count - lines_sent)
        for line in draft.lines[len(draft.lines) - (draft.count - lines_sent) :]:
            delta = (" " if said else "") + line.text.strip()
            said += delta
            yield _sse({"type": "transcript.text.delta", "delta": delta, "logprobs": None})
        lines_sent = draft.count
    else:
        error = _still_running(request, job, time.monotonic() - started)
        yield _sse({"type": "error", "error": _error_body(error)})
        return
    if job.status != Job.Status.SUCCEEDED:
        yield _sse({"type": "error", "error": _error_body(_ended_badly(request, job))})
        return
    transcript = Transcript.objects.filter(job=job).first()
    text = transcript.text if transcript is not None else ""
    if text.startswith(said) and text[len(said) :]:
        yield _sse({"type": "transcript.text.delta", "delta": text[len(said) :], "logprobs": None})
    yield _sse({"type": "transcript.text.done", "text": text, "logprobs": None})


def _error_body(exc: OpenAIError) -> dict[str, Any]:
    return {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}


def _slot(request: HttpRequest) -> waits.Slot:
    """A slot to wait in (``jobs.api.waits``), or OpenAI's 429 with ``Retry-After``."""
    try:
        return waits.acquire(key_id=request.auth.pk, user_id=request.auth.user_id)  # type: ignore[attr-defined]
    except waits.TooManyWaits as refused:
        whose = {
            "process": "this server is already waiting for as many jobs as it can",
            "key": "this API key already has as many requests waiting as it may "
            f"({settings.LECTERN_OPENAI_WAITS_PER_KEY})",
            "user": "this user already has as many requests waiting as they may "
            f"({settings.LECTERN_OPENAI_WAITS_PER_USER})",
        }[refused.scope]
        raise OpenAIError(
            429,
            f"Too many requests waiting: {whose}. Try again in {refused.retry_after} s, or use "
            "the JSON API (/api/v1/jobs), which answers at once and can be polled.",
            type="requests",
            code="too_many_waiting_requests",
            headers={"Retry-After": str(refused.retry_after)},
        ) from None


def _client_gone() -> HttpResponse:
    # Nobody reads it; the access log shows why the request ended (nginx's code for the same).
    return HttpResponse(status=499, reason="Client Closed Request")


def _audio(request: HttpRequest, *, translate: bool) -> HttpResponse:
    started = time.monotonic()
    form = _form(request, translate=translate)
    _check_media(form.upload)
    # Before the job is made: a refused request leaves nothing behind, and the SDK's retry of the
    # 429 sends the file again.
    slot = _slot(request)
    try:
        job = services.job_create(
            owner=_owner(request),
            upload=form.upload,
            language=form.language,
            task=Job.Task.TRANSLATE if translate else Job.Task.TRANSCRIBE,
            model=form.model,
            prompt=form.prompt,
            highlights=False,  # an API call wants the text, not clips
        )
        deadline = started + settings.LECTERN_OPENAI_WAIT_SECONDS
        if form.stream:
            events = _Events(_events(request, job, deadline, started, slot), slot)
            response = StreamingHttpResponse(events, content_type="text/event-stream")
            response["Cache-Control"] = "no-cache"
            response["X-Accel-Buffering"] = "no"  # nginx would otherwise hold the events back
            response["X-Lectern-Job"] = str(job.pk)
            return response
        try:
            finished = _wait(request, job, deadline)
        except ClientGone:
            return _client_gone()
        finally:
            slot.release()
    except BaseException:
        slot.release()
        raise
    if not finished:
        raise _still_running(request, job, time.monotonic() - started)
    if job.status != Job.Status.SUCCEEDED:
        raise _ended_badly(request, job)
    response = _answer(job, form, translate=translate)
    response["X-Lectern-Job"] = str(job.pk)
    return response


# --- Routes and their document ---------------------------------------------------------------------


class Usage(Schema):
    type: Literal["duration"]
    seconds: float


class TranscriptionOut(Schema):
    text: str
    usage: Usage | None = None


class SegmentOut(Schema):
    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


class WordOut(Schema):
    word: str
    start: float
    end: float


class TranscriptionVerboseOut(Schema):
    task: Literal["transcribe", "translate"]
    language: str
    duration: float
    text: str
    segments: list[SegmentOut] | None = None
    words: list[WordOut] | None = None
    usage: Usage | None = None


def _audio_document(*, translate: bool) -> dict[str, Any]:
    text = {"type": "string"}
    fields: dict[str, Any] = {
        "file": {"type": "string", "format": "binary", "description": "The audio or video."},
        "model": {"type": "string", "default": DEFAULT_ALIAS, "description": "GET /v1/models."},
        "prompt": {
            "type": "string",
            "maxLength": MAX_PROMPT_CHARS,
            "description": "Words to follow (names, spellings, the text before).",
        },
        "response_format": {"type": "string", "enum": list(RESPONSE_FORMATS), "default": "json"},
        "temperature": {"type": "number", "minimum": 0, "maximum": 1},
    }
    if not translate:
        fields |= {
            "language": {"type": "string", "description": "ISO 639-1; none: detect it."},
            "timestamp_granularities[]": {
                "type": "array",
                "items": {"type": "string", "enum": list(GRANULARITIES)},
                "description": "With verbose_json: segment (the default), word, or both.",
            },
            "stream": {
                "type": "boolean",
                "default": False,
                "description": "Server-sent transcript.text.delta events as lines are decoded.",
            },
        }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": fields, "required": ["file"]}
                }
            },
        },
        "responses": {
            # An int, as ninja keys its own responses, so that the two merge.
            200: {
                "content": {
                    "text/plain": {"schema": text},
                    "application/x-subrip": {"schema": text},
                    "text/vtt": {"schema": text},
                    **(
                        {} if translate else {"text/event-stream": {"schema": text}}  # stream=true
                    ),
                },
            }
        },
    }


AUDIO_ERRORS: dict[int, type[Schema]] = {
    **ERRORS, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 500: ErrorOut, 504: ErrorOut,
}  # fmt: skip


@api.post(
    "/audio/transcriptions",
    response={200: TranscriptionOut | TranscriptionVerboseOut, **AUDIO_ERRORS},
    openapi_extra=_audio_document(translate=False),
    summary="Transcribe audio into the language it is spoken in",
    tags=["audio"],
)
def create_transcription(request: HttpRequest) -> HttpResponse:
    return _audio(request, translate=False)


@api.post(
    "/audio/translations",
    response={200: TranscriptionOut | TranscriptionVerboseOut, **AUDIO_ERRORS},
    openapi_extra=_audio_document(translate=True),
    summary="Translate audio into English",
    tags=["audio"],
)
def create_translation(request: HttpRequest) -> HttpResponse:
    return _audio(request, translate=True)


# Last, so that every route above matches first: an OpenAI client calling something Lectern does
# not answer (chat, embeddings) gets OpenAI's 404, not an HTML page it cannot read.
@api.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_route(request: HttpRequest, rest: str) -> HttpResponse:
    raise OpenAIError(
        404,
        f"Lectern answers OpenAI's audio API (/v1/audio/transcriptions, /v1/audio/translations, "
        f"/v1/models), not /v1/{rest}.",
        code="unknown_url",
    )


# ``include("jobs.api.openai")`` in config/urls.py, under /v1/.
urlpatterns = api.urls[0]
app_name = api.urls_namespace
