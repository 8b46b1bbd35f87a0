"""The one runner: the order of a job's stages, for the worker and the command line alike. No Django.

fetch → extract (and a poster) → layout → slides → glossary → transcribe (or reuse an identical
file's transcript) → speakers → highlights (silences, topics, clip choice, rendering) → study notes.

What differs between the callers comes in as arguments, so that they cannot drift apart:

- ``Store``: where results go. The worker passes ``jobs.pipeline.store.JobStore`` (the ORM);
  ``manage.py transcribe`` passes ``FileStore`` (files in a folder, the rest in the outcome).
- ``Progress``: how progress is shown; raising from it cancels the run.
- ``RunSettings``: limits, tools and highlight options, built from Django's settings by
  ``jobs.pipeline.config.run_settings`` for both.

Every stage is safe to run again after a crash: each writes its files afresh and the store
replaces what an earlier attempt kept.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from jobs.highlights.layout import LayoutResult, detect_layout
from jobs.highlights.run import HighlightOptions, HighlightsOutcome, make_highlights
from jobs.highlights.vocabulary import Term, distinctive_terms, glossary_prompt
from jobs.intake.urlsafety import Allowlist
from jobs.pipeline.plans import (
    EXTRACT,
    FETCH,
    LAYOUT,
    NOTES,
    PLAN_HIGHLIGHTS,
    PLAN_TRANSCRIPT,
    PLAN_TRANSCRIPT_SLIDES,
    STORE,
    TRANSCRIBE,
    Plan,
    spans,
)
from jobs.pipeline.stages.diarize import label_speakers
from jobs.pipeline.stages.extract import Extracted, extract
from jobs.pipeline.stages.fetch import Fetched, Limits, fetch
from jobs.pipeline.stages.poster import make_poster
from jobs.pipeline.stages.slides import SlidesRead, read_slides
from jobs.pipeline.stages.transcribe import Transcribed, transcribe
from jobs.study.answer import ChatModel
from jobs.study.notes import StudyNotes, make_notes
from jobs.study.written import notes_with_model
from transcripts.backends.base import SegmentResult, TranscribeOptions
from transcripts.diarization import DiarizerUnavailable
from transcripts.lines import in_lines
from transcripts.media import MediaError
from transcripts.record import TranscriptRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """What to do with one recording: the same fields a job has and the CLI takes as options."""

    source: Path | str  # a local file, or an http(s) link to download
    folder: Path  # where downloads, audio, poster, slide pictures and clips go
    title: str = ""
    language: str | None = None  # None: detect
    task: str = "transcribe"
    model: str | None = None
    prompt: str | None = None  # the caller's own words for the model, before the slides' glossary
    backend: str | None = None  # force one by name; None: the hardware's choice, with fallback
    user_id: int | None = None  # for metered backends' quotas
    diarize: bool = False
    speakers: int | None = None
    highlights: bool | None = False  # None: when the recording turns out to have a picture
    clip_layout: str = "vertical"
    clips: Path | None = None  # where clips go; None: "clips" in ``folder``
    poster: bool = True


@dataclass(frozen=True)
class RunSettings:
    limits: Limits
    allowlist: Allowlist | None = None
    slide_prompt: bool = True  # read the slides of every video for a transcription glossary
    tesseract: str = "tesseract"
    layout_timeout: float | None = None
    highlights: HighlightOptions = field(default_factory=HighlightOptions)
    notes_model: ChatModel | None = None  # None: extractive study notes only


@dataclass(frozen=True)
class Reused:
    """A transcript of the same bytes, model, options and prompt, made earlier."""

    record: TranscriptRecord
    backend: str
    model: str
    note: str = ""


class Progress(Protocol):
    def plan(self, plan: Plan) -> None: ...
    def stage(self, stage: str) -> None: ...
    def fraction(self, done: float) -> None: ...


class Store(Protocol):
    """Where a run's results go. Each method replaces what an earlier attempt stored."""

    def fetched(self, fetched: Fetched, *, title: str) -> None: ...
    # The decoded length, which replaces the header's (``fetched``): the one usage counts.
    def extracted(self, extracted: Extracted) -> None: ...
    def poster(self, image: Path) -> None: ...
    def corrected_layout(self) -> dict[str, Any] | None: ...
    def slides(self, slides: SlidesRead) -> None: ...
    def reusable(self, *, prompt_sha256: str) -> Reused | None: ...
    # The segments decoded so far, in order, while transcription runs (shorter than last time
    # when a backend failed and the next one starts again).
    def draft(self, segments: Sequence[SegmentResult]) -> None: ...
    def transcript(self, record: TranscriptRecord) -> None: ...
    def analysis(
        self, outcome: HighlightsOutcome, layout: LayoutResult | None, slides: SlidesRead
    ) -> None: ...
    def clips(self, outcome: HighlightsOutcome) -> None: ...
    def notes(self, notes: StudyNotes) -> None: ...


class SilentProgress:
    def plan(self, plan: Plan) -> None:
        pass

    def stage(self, stage: str) -> None:
        pass

    def fraction(self, done: float) -> None:
        pass


class FileStore:
    """Keeps nothing beyond the files the stages write into the request's folder; the caller
    reads the rest from the ``Outcome`` (the command line, which writes the export itself)."""

    def fetched(self, fetched: Fetched, *, title: str) -> None:
        pass

    def extracted(self, extracted: Extracted) -> None:
        pass

    def poster(self, image: Path) -> None:
        pass

    def corrected_layout(self) -> dict[str, Any] | None:
        return None

    def slides(self, slides: SlidesRead) -> None:
        pass

    def reusable(self, *, prompt_sha256: str) -> Reused | None:
        return None

    def draft(self, segments: Sequence[SegmentResult]) -> None:
        pass

    def transcript(self, record: TranscriptRecord) -> None:
        pass

    def analysis(
        self, outcome: HighlightsOutcome, layout: LayoutResult | None, slides: SlidesRead
    ) -> None:
        pass

    def clips(self, outcome: HighlightsOutcome) -> None:
        pass

    def notes(self, notes: StudyNotes) -> None:
        pass


@dataclass
class Outcome:
    fetched: Fetched
    extracted: Extracted
    title: str
    record: TranscriptRecord
    backend: str
    model: str
    layout: LayoutResult | None = None
    slides: SlidesRead = field(default_factory=SlidesRead)
    terms: list[Term] = field(default_factory=list)
    transcribed: Transcribed | None = None  # None when the transcript was reused
    reused: bool = False
    speakers: list[str] = field(default_factory=list)
    highlights: HighlightsOutcome | None = None
    study: StudyNotes | None = None  # None: the notes could not be made
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """What the user should know about the result, in a sentence or two."""
        return " ".join(part for part in self.notes if part)

    @property
    def fallbacks(self) -> list[str]:
        return list(self.transcribed.fallbacks) if self.transcribed else []

    @property
    def realtime_factor(self) -> float | None:
        return self.transcribed.realtime_factor if self.transcribed else None

    @property
    def warnings(self) -> list[str]:
        return self.transcribed.check.warnings() if self.transcribed else []


def prompt_digest(prompt: str | None) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest() if prompt else ""


def run(
    request: Request,
    settings: RunSettings,
    store: Store,
    progress: Progress | None = None,
) -> Outcome:
    """Run every stage of ``request`` in order; raises ``MediaError``/``BackendError`` for input or
    transcription that cannot work, with a sentence for the user."""
    progress = progress or SilentProgress()
    progress.plan(PLAN_TRANSCRIPT)

    progress.stage(FETCH)
    fetched = fetch(
        request.source,
        request.folder,
        settings.limits,
        allowlist=settings.allowlist,
        on_progress=progress.fraction,
    )
    title = request.title or fetched.title
    store.fetched(fetched, title=title)
    video = fetched.info.has_video
    highlights = video if request.highlights is None else request.highlights
    if highlights:
        progress.plan(PLAN_HIGHLIGHTS)

    progress.stage(EXTRACT)
    extracted = extract(
        fetched.path, request.folder / "audio.wav", max_seconds=settings.limits.max_duration
    )
    store.extracted(extracted)
    if video and request.poster:
        poster = make_poster(
            fetched.path, request.folder / "poster.jpg", duration=extracted.duration
        )
        if poster is not None:
            store.poster(poster)

    # Layout first: slide changes are evidence for the topics later on, and the slides' text
    # (read at those changes) gives transcription a glossary and the topics their titles.
    layout, slides = None, SlidesRead()
    if video and (highlights or settings.slide_prompt):
        if not highlights:
            progress.plan(PLAN_TRANSCRIPT_SLIDES)
        progress.stage(LAYOUT)
        layout = _layout(fetched.path, store, settings, required=highlights)
        if layout is not None:
            slides = read_slides(
                fetched.path,
                layout,
                request.folder / "slides",
                duration=extracted.duration,
                tesseract=settings.tesseract,
                on_progress=progress.fraction,
            )
            if slides.note:
                logger.info("%s", slides.note)
            store.slides(slides)
    terms = distinctive_terms([*slides.texts, title]) if settings.slide_prompt else []
    if terms:
        logger.info("glossary: %s", ", ".join(term.word for term in terms))
    prompt = " ".join(p for p in (request.prompt, glossary_prompt(terms)) if p) or None

    made = _transcript(request, extracted, prompt, store, progress)
    outcome = Outcome(
        fetched=fetched,
        extracted=extracted,
        title=title,
        record=made.record,
        backend=made.backend,
        model=made.model,
        layout=layout,
        slides=slides,
        terms=terms,
        transcribed=made.transcribed,
        reused=made.transcribed is None,
        notes=[made.note],
    )

    if request.diarize:
        try:
            diarized = label_speakers(outcome.record, extracted.audio, speakers=request.speakers)
        except DiarizerUnavailable as exc:
            logger.warning("no speaker identification: %s", exc)
            outcome.notes = [f"Speakers were not identified: {exc}"]
        else:
            outcome.record, outcome.speakers = diarized.record, diarized.speakers
            logger.info("%s speakers", len(diarized.speakers))
            if note := diarized.note():
                outcome.notes = [note]
    store.transcript(outcome.record)

    if highlights:
        outcome.highlights = _highlights(request, settings, outcome, store, progress)
        if not outcome.highlights.selection.clips:
            outcome.notes = [
                "No passage was long and self-contained enough to make a highlight clip."
            ]
    progress.stage(NOTES)
    outcome.study = _study_notes(outcome, settings.notes_model)
    if outcome.study is not None:
        store.notes(outcome.study)
    outcome.notes.append(slides.note)
    return outcome


# What a run makes for itself and no page uses: the decoded audio (up to 115 MB an hour) and any
# partial file an interrupted step left. The media, poster, slide pictures and clips stay.
# (Named, not "*.partial.*": the job's media keeps its own name, source.<ext>, and nothing here may
# ever match it.)
INTERMEDIATES = (
    "audio.wav",
    "audio.partial.wav",
    "poster.partial.jpg",
    "slides/.ocr-*.png",
    "clips/*.partial.mp4",
    "clips/*.partial.jpg",
)


def remove_intermediates(folder: Path) -> list[Path]:
    """Remove what ``run`` left in ``folder`` for its own use; what was removed.

    The worker calls it when a job ends, however it ended; the command line keeps its folder.
    """
    removed = []
    for pattern in INTERMEDIATES:
        for path in Path(folder).glob(pattern):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _study_notes(outcome: Outcome, model: ChatModel | None) -> StudyNotes | None:
    """Study notes: extractive (from the highlight topics when there were highlights), or
    written by ``model`` with the extractive ones as the fallback."""
    try:
        notes = make_notes(
            outcome.record.segments,
            topics=outcome.highlights.analysis.topics if outcome.highlights else (),
            duration=outcome.extracted.duration,
            title=outcome.title,
            slide_terms=[term.word for term in outcome.terms],
            language=outcome.record.language,
            # The highlights' analysis of the lecture (key terms, moments), not made twice.
            analysis=outcome.highlights.lecture if outcome.highlights else None,
        )
    except Exception:  # notes are made again when the page asks: they must not fail the job
        logger.exception("no study notes")
        return None
    if model is None:
        return notes
    return notes_with_model(model, outcome.record.segments, notes, title=outcome.title)


def _layout(
    video: Path, store: Store, settings: RunSettings, *, required: bool
) -> LayoutResult | None:
    # A layout the owner corrected on an earlier run is theirs: a retry keeps it.
    corrected = store.corrected_layout()
    if corrected:
        return LayoutResult.from_dict(corrected)
    try:
        return detect_layout(video, timeout=settings.layout_timeout)
    except MediaError:
        if required:
            raise
        # Only the glossary needed it: a transcript is still worth making without.
        logger.info("no layout, so no slide text", exc_info=True)
        return None


@dataclass(frozen=True)
class _Made:
    record: TranscriptRecord
    backend: str
    model: str
    transcribed: Transcribed | None  # None: reused
    note: str = ""


def _transcript(
    request: Request,
    extracted: Extracted,
    prompt: str | None,
    store: Store,
    progress: Progress,
) -> _Made:
    """The transcript: reused from an identical earlier run when the store has one, else made."""
    digest = prompt_digest(prompt)
    reused = store.reusable(prompt_sha256=digest)
    if reused is not None:
        progress.stage(STORE)
        return _Made(reused.record, reused.backend, reused.model, None, reused.note)
    progress.stage(TRANSCRIBE)
    decoded: list[SegmentResult] = []

    def on_segment(segment: SegmentResult) -> None:
        decoded.append(segment)
        store.draft(decoded)

    def on_fallback(backend: str, reason: str) -> None:
        decoded.clear()  # the next backend starts from the beginning
        store.draft(decoded)

    # The glossary is Whisper's prompt, which every backend takes. Not faster-whisper's hotwords:
    # measured on tests/synth_slides.py, they made tiny.en echo the list and copy its style.
    transcribed = transcribe(
        extracted.audio,
        TranscribeOptions(
            language=request.language,
            task=request.task,
            model=request.model,
            user_id=request.user_id,
            initial_prompt=prompt,
        ),
        duration=extracted.duration,
        backend=request.backend,
        on_progress=progress.fraction,
        on_segment=on_segment,
        on_fallback=on_fallback,
    )
    progress.stage(STORE)
    result = transcribed.result
    logger.info(
        "transcribed: %s segments, %.1fx realtime with %s",
        len(result.segments), transcribed.realtime_factor or 0, result.backend,
    )  # fmt: skip
    record = TranscriptRecord.from_result(result, transcribed.check, prompt_sha256=digest)
    # One line a sentence (Whisper's segments run up to 30 s): quicker to seek in and to correct.
    record = replace(record, segments=in_lines(record.segments))
    return _Made(
        record,
        result.backend,
        result.model,
        transcribed,
        "" if result.segments else "No speech was found in this recording.",
    )


def _highlights(
    request: Request,
    settings: RunSettings,
    outcome: Outcome,
    store: Store,
    progress: Progress,
) -> HighlightsOutcome:
    folder = request.clips or request.folder / "clips"
    if request.clips is None:
        # Safe to run again: an earlier attempt's clips are replaced, not added to. (A folder the
        # caller named is theirs: clips are written into it, nothing else is removed.)
        shutil.rmtree(folder, ignore_errors=True)
    # The clips' shape is the request's: the settings hold what every run shares.
    options = replace(settings.highlights, clip_layout=request.clip_layout)
    found = make_highlights(
        outcome.fetched.path,
        outcome.extracted.audio,
        outcome.record.segments,
        folder,
        duration=outcome.extracted.duration,
        layout=outcome.layout,
        options=options,
        language=outcome.record.language,
        title=outcome.title,
        slide_titles=outcome.slides.titles,
        slide_texts=outcome.slides.texts,
        on_stage=progress.stage,
        on_progress=progress.fraction,
        # Kept before rendering, so that the topics and chapters survive a rendering failure.
        before_render=lambda partial: store.analysis(partial, outcome.layout, outcome.slides),
    )
    store.clips(found)
    return found


def slide_rows(slides: SlidesRead, root: Path | None = None) -> list[dict[str, Any]]:
    """The slides as stored and exported: time, text, title and the image relative to ``root``."""
    return [slide.to_dict(root) for slide in slides.slides]


__all__: Sequence[str] = [
    "FileStore",
    "Outcome",
    "Progress",
    "Request",
    "Reused",
    "RunSettings",
    "Store",
    "prompt_digest",
    "remove_intermediates",
    "run",
    "spans",
]
