"""The worker's ``Store`` for the runner: a job's results go to its row, its transcript and clips."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

from jobs.highlights.layout import LayoutResult
from jobs.highlights.run import HighlightsOutcome
from jobs.models import Clip, Job
from jobs.pipeline.cache import cached_source
from jobs.pipeline.runner import Reused, slide_rows
from jobs.pipeline.scratch import Workspace
from jobs.pipeline.stages.extract import Extracted
from jobs.pipeline.stages.fetch import Fetched
from jobs.pipeline.stages.slides import SlidesRead
from jobs.study.notes import StudyNotes
from jobs.study.services import study_notes_save
from transcripts.backends.base import SegmentResult
from transcripts.record import TranscriptRecord, segment_dict
from transcripts.selectors import transcript_record
from transcripts.services import transcript_draft, transcript_replace

logger = logging.getLogger(__name__)

DRAFT_INTERVAL_SECONDS = 1.0


class JobStore:
    """``space``: where the run works (``jobs.pipeline.scratch``); a file the job keeps is named
    relative to its root, and uploaded to the bucket when the job's files live there."""

    def __init__(self, job: Job, space: Workspace | None = None) -> None:
        self.job = job
        # Without one: the media folder, as a run on the embedded default works.
        self.space = space or Workspace(root=Path(settings.MEDIA_ROOT), remote=False)
        self.root = self.space.root
        self._drafted: int | None = None  # draft segments stored; None: none yet this run
        self._last_draft = 0.0

    def _relative(self, path: Path) -> str:
        return self.space.publish(path)

    def _publish_slides(self, slides: SlidesRead) -> None:
        for slide in slides.slides:
            self.space.publish(slide.image)

    def fetched(self, fetched: Fetched, *, title: str) -> None:
        job = self.job
        name = self.space.name(fetched.path)
        # An upload is in storage already, under this very name; a link's download is not.
        uploaded = job.source_kind == Job.Source.UPLOAD and name == job.media.name
        job.media.name = name if uploaded else self._relative(fetched.path)
        job.title = job.title or title
        job.duration = fetched.info.duration
        job.has_video = fetched.info.has_video
        job.media_sha256 = fetched.sha256
        job.media_size = fetched.size
        job.save(
            update_fields=["media", "title", "duration", "has_video", "media_sha256", "media_size"]
        )

    def extracted(self, extracted: Extracted) -> None:
        # The header's length (stored by ``fetched``) may be absent or false; usage, quotas and
        # the page count what was decoded.
        self.job.duration = extracted.duration
        self.job.save(update_fields=["duration"])

    def poster(self, image: Path) -> None:
        self.job.poster.name = self._relative(image)
        self.job.save(update_fields=["poster"])

    def corrected_layout(self) -> dict[str, Any] | None:
        saved = (self.job.analysis or {}).get("layout") or {}
        return saved if saved.get("source") == "corrected" else None

    def slides(self, slides: SlidesRead) -> None:
        # Kept before transcription, so that the page shows them while it runs.
        self._publish_slides(slides)
        self.job.analysis = {**(self.job.analysis or {}), "slides": slide_rows(slides, self.root)}
        self.job.save(update_fields=["analysis"])

    def reusable(self, *, prompt_sha256: str) -> Reused | None:
        source = cached_source(self.job, prompt_sha256=prompt_sha256)
        if source is None:
            return None
        return Reused(
            record=transcript_record(source.transcript).without_speakers(),
            backend=source.backend,
            model=source.model_name,
            note=source.note,
        )

    def draft(self, segments: Sequence[SegmentResult]) -> None:
        """Decoded segments stored as they come, so that the page shows them while the job runs.

        The first at once, then at most once a second (a write a segment cost a long job ~5 %):
        whatever a pause left unwritten goes with the next write, or the checked transcript.
        """
        now = time.monotonic()
        restart = self._drafted is None or len(segments) < self._drafted
        if not restart and now - self._last_draft < DRAFT_INTERVAL_SECONDS:
            return
        first = 0 if restart else self._drafted
        transcript_draft(
            job_id=self.job.pk, segments=[segment_dict(s) for s in segments[first:]], first=first
        )
        self._drafted, self._last_draft = len(segments), now

    def transcript(self, record: TranscriptRecord) -> None:
        transcript_replace(job_id=self.job.pk, record=record)

    def analysis(
        self, outcome: HighlightsOutcome, layout: LayoutResult | None, slides: SlidesRead
    ) -> None:
        job = self.job
        # An earlier attempt's clips go: this run renders them again.
        job.clips.all().delete()
        self._publish_slides(slides)
        detected = (job.analysis or {}).get("layout_detected")
        job.analysis = {
            "silences": [list(pause) for pause in outcome.silences],
            "layout": layout.to_dict() if layout else None,
            **({"layout_detected": detected} if detected else {}),
            "slide_changes": outcome.slide_changes,
            "slides": slide_rows(slides, self.root),
            "topics": [topic.to_dict() for topic in outcome.analysis.topics],
            "analyser": outcome.analysis.analyser,
            "analyser_model": outcome.analysis.model,
            "analyser_fallback": outcome.analysis.fallback_reason,
        }
        job.save(update_fields=["analysis"])

    def clips(self, outcome: HighlightsOutcome) -> None:
        self.job.clips.all().delete()
        Clip.objects.bulk_create(
            [
                Clip(
                    job=self.job,
                    index=index,
                    start=chosen.start,
                    end=chosen.end,
                    duration=clip.duration,
                    ranges=[list(span) for span in clip.ranges],
                    title=chosen.title[:200],
                    reason=chosen.reason,
                    score=chosen.score,
                    layout=clip.arrangement,
                    file=self._relative(clip.video),
                    thumbnail=self._relative(clip.thumbnail),
                )
                for index, (chosen, clip) in enumerate(
                    zip(outcome.selection.clips, outcome.rendered, strict=True)
                )
            ]
        )

    def notes(self, notes: StudyNotes) -> None:
        study_notes_save(job=self.job, notes=notes)
