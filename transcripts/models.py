from __future__ import annotations

from django.conf import settings
from django.db import models


class Transcript(models.Model):
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="transcript")
    language = models.CharField(max_length=16, blank=True)
    language_probability = models.FloatField(null=True, blank=True)
    duration = models.FloatField(default=0, help_text="Seconds of audio.")
    text = models.TextField(blank=True)
    # {"en": 29.2, "de": 27.9}: seconds of transcript per language, most first.
    languages = models.JSONField(default=dict, blank=True)
    # The speech the voice-activity detector heard, and the stretches of it no line covers
    # ([[start, end], ...]): shown to the user, so that a skipped passage is never lost silently.
    speech_seconds = models.FloatField(null=True, blank=True)
    missing_speech = models.JSONField(default=list, blank=True)
    # Lines taken out as hallucinations or loops: [{"start", "end", "text", "reason"}, ...].
    removed_segments = models.JSONField(default=list, blank=True)
    # SHA-256 of the prompt transcription was given (the glossary from the slides and the title;
    # empty: none). It shaped the segmentation, so a transcript is reused only for the same one.
    prompt_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Transcript of {self.job}"

    @property
    def missing_seconds(self) -> float:
        return round(sum(end - start for start, end in self.missing_speech), 1)

    @property
    def is_multilingual(self) -> bool:
        return len(self.languages) > 1


class Segment(models.Model):
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()
    avg_logprob = models.FloatField(null=True, blank=True)
    # [{"start": s, "end": s, "word": " text", "probability": p}, ...] as the backend gave them.
    words = models.JSONField(default=list, blank=True)
    speaker = models.CharField(max_length=64, blank=True)
    # The language this line was decoded in (a lecture may change language); blank: unknown.
    language = models.CharField(max_length=16, blank=True)
    edited = models.BooleanField(default=False)

    class Meta:
        ordering = ["transcript", "index"]
        constraints = [
            models.UniqueConstraint(fields=["transcript", "index"], name="segment_unique_index"),
        ]

    def __str__(self) -> str:
        return f"{self.start:.1f}-{self.end:.1f} {self.text[:40]}"


class SegmentRevision(models.Model):
    """An earlier text of a segment, kept when someone edits it, so it can be restored."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="revisions")
    text = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Revision of segment {self.segment_id} at {self.created_at:%Y-%m-%d %H:%M}"
