from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse

# The languages a job may be transcribed in, as the forms and the API offer them.
LANGUAGES = [
    ("auto", "Detect automatically"),
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("pt", "Portuguese"),
    ("pl", "Polish"),
    ("sv", "Swedish"),
    ("zh", "Chinese"),
    ("ja", "Japanese"),
]


def job_upload_path(job: Job, filename: str) -> str:
    # The stored name never comes from the user: only a known, lower-case extension is kept.
    return f"jobs/{job.pk}/source{safe_extension(filename)}"


def safe_extension(filename: str) -> str:
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix[1:].isalnum() and 1 < len(suffix) <= 6 else ""


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Stage(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        FETCH = "fetch", "Fetching media"
        EXTRACT = "extract", "Extracting audio"
        TRANSCRIBE = "transcribe", "Transcribing"
        STORE = "store", "Saving transcript"
        SILENCES = "silences", "Finding pauses"
        LAYOUT = "layout", "Reading the video layout"
        ANALYSE = "analyse", "Finding topics"
        SELECT = "select", "Choosing highlights"
        RENDER = "render", "Rendering clips"
        NOTES = "notes", "Writing study notes"
        DONE = "done", "Done"

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        URL = "url", "URL"

    class Task(models.TextChoices):
        TRANSCRIBE = "transcribe", "Transcribe"
        TRANSLATE = "translate", "Translate to English"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    title = models.CharField(max_length=200, blank=True)
    source_kind = models.CharField(max_length=8, choices=Source.choices, default=Source.UPLOAD)
    source_url = models.URLField(max_length=2000, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    media = models.FileField(upload_to=job_upload_path, max_length=500, blank=True)
    media_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    media_size = models.BigIntegerField(null=True, blank=True)
    has_video = models.BooleanField(default=False)
    poster = models.FileField(
        max_length=500, blank=True, help_text="A frame of the video, for its player and lists."
    )
    duration = models.FloatField(null=True, blank=True, help_text="Seconds of media.")

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Shown to the user when the job failed.")
    error_detail = models.TextField(blank=True, help_text="Technical detail, for staff only.")
    note = models.TextField(blank=True, help_text="Shown to the user, e.g. no speech found.")
    attempts = models.PositiveSmallIntegerField(default=0)
    # False when the job failed on its own file (not media, no audio, over a limit): the same
    # bytes would fail the same way, so no Retry is offered.
    retryable = models.BooleanField(default=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker.")

    # Options chosen by the user.
    language = models.CharField(max_length=16, default="auto", help_text="auto or a code.")
    task = models.CharField(max_length=12, choices=Task.choices, default=Task.TRANSCRIBE)
    requested_backend = models.CharField(max_length=32, blank=True)
    # The speech model asked for by name (the OpenAI-compatible API's ``model``); blank: the
    # configured one (LECTERN_MODEL, or the backend's own).
    model = models.CharField(max_length=200, blank=True)
    # Words the transcript should follow (the OpenAI-compatible API's ``prompt``): spellings,
    # names, the text before; given to the model ahead of the slides' glossary.
    prompt = models.TextField(blank=True)
    # Highlight clips: None means "yes for video, no for audio".
    highlights = models.BooleanField(null=True, blank=True)

    class ClipLayout(models.TextChoices):
        VERTICAL = "vertical", "Vertical 9:16 (slides over speaker)"
        ORIGINAL = "original", "Original 16:9"

    clip_layout = models.CharField(
        max_length=10, choices=ClipLayout.choices, default=ClipLayout.VERTICAL
    )
    # Speaker diarization: who speaks when. ``speakers`` is the number of voices, or None to
    # estimate it; ``speaker_names`` maps the labels found ("S1") to names the user gives.
    diarize = models.BooleanField(default=False)
    speakers = models.PositiveSmallIntegerField(null=True, blank=True)
    speaker_names = models.JSONField(default=dict, blank=True)
    # Jobs submitted together (several files or links at once) share a batch id.
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    # When the owner's email about this job (or its batch) was sent; set before sending, by one
    # conditional update, so that two workers ending a batch together send one email.
    notified_at = models.DateTimeField(null=True, blank=True)

    # What ran.
    backend = models.CharField(max_length=32, blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    fallbacks = models.JSONField(default=list, blank=True, help_text="Backends that failed first.")
    realtime_factor = models.FloatField(
        null=True, blank=True, help_text="Seconds of audio transcribed per second of work."
    )
    cached_from_hash = models.BooleanField(
        default=False, help_text="The transcript was reused from identical media."
    )
    # Results of the highlight agents: silences, layout, slide_changes, topics.
    analysis = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_created")]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return self.title or self.original_name or self.source_url or f"Job {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def can_cancel(self) -> bool:
        return self.is_active

    @property
    def can_retry(self) -> bool:
        if self.status == self.Status.FAILED and not self.retryable:
            return False
        return self.status in (self.Status.FAILED, self.Status.CANCELLED) and bool(
            self.media or self.source_url
        )

    @property
    def wants_highlights(self) -> bool:
        return self.has_video if self.highlights is None else self.highlights

    @property
    def transcription_language(self) -> str | None:
        return None if self.language in ("", "auto") else self.language

    def media_dir(self) -> str:
        """Storage-relative folder of this job's files."""
        return f"jobs/{self.pk}"

    def media_path(self) -> Path:
        """This job's folder on disk: the one place MEDIA_ROOT and ``media_dir`` are joined."""
        return Path(settings.MEDIA_ROOT) / self.media_dir()


def clip_upload_path(clip: Clip, filename: str) -> str:
    return f"jobs/{clip.job_id}/clips/{filename}"


class Clip(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="clips")
    index = models.PositiveSmallIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    duration = models.FloatField(help_text="Seconds, after removed silences.")
    # The time ranges of the source kept in the clip, [[start, end], ...].
    ranges = models.JSONField(default=list)
    title = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    score = models.FloatField(default=0)
    layout = models.CharField(max_length=16, blank=True)
    file = models.FileField(upload_to=clip_upload_path, max_length=500, blank=True)
    thumbnail = models.FileField(upload_to=clip_upload_path, max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="clip_unique_index"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.start:.0f}-{self.end:.0f} s)"


class StudyNotes(models.Model):
    """A lecture's study notes (jobs.study.notes.StudyNotes as a dict), made after the transcript."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="study_notes")
    notes = models.JSONField(default=dict)
    # The transcript's ``updated_at`` they were made from: an edit since makes them again.
    made_from = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "study notes"

    def __str__(self) -> str:
        return f"Study notes of {self.job}"


class Question(models.Model):
    """A question asked about one's lectures: counted for the daily limit on model answers."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions"
    )
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField()
    answered_by = models.CharField(max_length=16, blank=True, help_text="Blank: passages only.")
    asked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-asked_at"]
        indexes = [models.Index(fields=["owner", "-asked_at"], name="question_owner_asked")]

    def __str__(self) -> str:
        return self.text[:60]


# Models of the other rooms live beside their code; imported here so that Django finds them.
from jobs.accounts.models import Profile  # noqa: E402
from jobs.api.models import ApiKey, Webhook, WebhookDelivery  # noqa: E402

__all__ = [
    "ApiKey", "Clip", "Job", "Profile", "Question", "StudyNotes", "Webhook", "WebhookDelivery",
]  # fmt: skip
