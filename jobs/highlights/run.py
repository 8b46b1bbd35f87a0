"""The highlight agents in order, shared by the job runner and the command line. No Django.

Layout detection runs before transcription (its slide changes help find topics), so it is passed
in; everything after the transcript happens here: silences, topics, clip choice and rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobs.highlights.analysers import AnalysisRequest, AnalysisResult, find_topics
from jobs.highlights.compiler import RenderedClip, render_clips
from jobs.highlights.layout import LayoutResult
from jobs.highlights.moments import LectureAnalysis, analyse_lecture
from jobs.highlights.selection import SelectionResult, select_clips
from jobs.highlights.silences import detect_silences
from jobs.highlights.vocabulary import retitle_topics
from transcripts.media import read_wav


@dataclass(frozen=True)
class HighlightOptions:
    count: int = 12
    min_length: float = 20.0
    max_length: float = 60.0
    share: float = 0.25
    max_pause: float = 0.8
    min_silence: float = 0.5
    clip_layout: str = "vertical"
    gemini: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, highlights: dict[str, Any], gemini: dict[str, Any], **extra: Any):
        return cls(
            count=int(highlights["count"]),
            min_length=float(highlights["min_length"]),
            max_length=float(highlights["max_length"]),
            share=float(highlights["share"]),
            max_pause=float(highlights["max_pause"]),
            min_silence=float(highlights["min_silence"]),
            gemini=dict(gemini),
            **extra,
        )


@dataclass
class HighlightsOutcome:
    silences: list[tuple[float, float]]
    layout: LayoutResult | None
    analysis: AnalysisResult
    selection: SelectionResult
    rendered: list[RenderedClip]
    lecture: LectureAnalysis | None = None  # key terms and moments, read by the notes too

    @property
    def slide_changes(self) -> list[float]:
        return list(self.layout.slide_changes) if self.layout else []

    def to_json(self) -> dict[str, Any]:
        """The keys `manage.py transcribe --highlights --format json` adds to its output."""
        layout = self.layout
        return {
            "silences": [{"start": round(a, 3), "end": round(b, 3)} for a, b in self.silences],
            "layout": {
                "kind": layout.kind if layout else "audio",
                "screen": list(layout.screen.box) if layout and layout.screen else None,
                "camera": list(layout.camera.box) if layout and layout.camera else None,
            },
            "slide_changes": [round(t, 3) for t in self.slide_changes],
            "topics": [
                {
                    "start": round(topic.start, 3),
                    "end": round(topic.end, 3),
                    "title": topic.title,
                    "summary": topic.summary,
                    "importance": round(topic.importance, 3),
                }
                for topic in self.analysis.topics
            ],
            "clips": [
                {
                    "start": round(chosen.start, 3),
                    "end": round(chosen.end, 3),
                    "title": chosen.title,
                    "score": round(chosen.score, 3),
                    "file": str(clip.video),
                    "thumbnail": str(clip.thumbnail),
                }
                for chosen, clip in zip(self.selection.clips, self.rendered, strict=True)
            ],
        }


def _nothing(*args: object) -> None:
    return None


def make_highlights(
    source: Path,
    audio: Path,
    segments: Sequence[Any],
    folder: Path,
    *,
    duration: float,
    layout: LayoutResult | None,
    options: HighlightOptions,
    language: str = "en",
    title: str = "",
    slide_titles: Sequence[tuple[float, str]] = (),
    slide_texts: Sequence[str] = (),
    on_stage: Callable[[str], None] = _nothing,
    on_progress: Callable[[float], None] = _nothing,
    before_render: Callable[[HighlightsOutcome], None] = _nothing,
) -> HighlightsOutcome:
    """Silences, topics, clip choice and clips rendered into ``folder``.

    ``slide_titles`` are (time, title) pairs read off the slides; a topic takes the title of the
    slide shown during most of it, when that title is short and meaningful. ``slide_texts``
    (the slides' words) weigh the key terms the clips and the notes are built on.
    """
    on_stage("silences")
    found = detect_silences(read_wav(audio), min_silence=options.min_silence)
    silences = [(float(a), float(b)) for a, b in found.silences]

    on_stage("analyse")
    analysis = find_topics(
        segments,
        duration=duration,
        silences=silences,
        slide_changes=list(layout.slide_changes) if layout else [],
        language=language,
        title=title,
        gemini=options.gemini,
    )
    # The lecturer's own slide titles name a topic better than words picked from the transcript.
    retitle_topics(analysis.topics, slide_titles, end=duration)

    on_stage("select")
    lecture = analyse_lecture(
        AnalysisRequest(segments=list(segments)).sentences,
        language=language,
        slide_texts=slide_texts,
    )
    selection = select_clips(
        segments,
        analysis.topics,
        silences,
        count=options.count,
        min_length=options.min_length,
        max_length=options.max_length,
        max_pause=options.max_pause,
        share=options.share,
        analysis=lecture,
    )
    outcome = HighlightsOutcome(silences, layout, analysis, selection, rendered=[], lecture=lecture)
    before_render(outcome)

    on_stage("render")
    outcome.rendered = render_clips(
        source,
        selection.clips,
        segments,
        folder,
        layout=options.clip_layout,
        regions=layout,
        on_progress=on_progress,
    )
    return outcome
