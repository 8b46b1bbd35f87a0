from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from jobs.highlights.analysers import AnalysisResult
from jobs.highlights.selection import SelectionResult, select_clips
from jobs.highlights.silences import SilenceResult
from jobs.highlights.text import ends_sentence, timed_words
from tests.highlights.test_local_analyser import CUBE, PHOTOSYNTHESIS, segments_from
from tests.synth_video import SynthLecture


def test_it_picks_clips_between_twenty_seconds_and_a_minute(
    selection: SelectionResult,
) -> None:
    assert len(selection.clips) == 3
    for clip in selection.clips:
        assert 20.0 <= clip.duration <= 60.0
        assert clip.duration == round(sum(b - a for a, b in clip.ranges), 3)
        assert clip.title and clip.reason.endswith(".")


def test_it_starts_and_ends_clips_on_sentence_bounds(
    selection: SelectionResult, transcript: list[dict[str, Any]]
) -> None:
    words = timed_words(transcript)
    for clip in selection.clips:
        assert not any(w.start < clip.start < w.end or w.start < clip.end < w.end for w in words)
        inside = [w for w in words if clip.start <= w.start and w.end <= clip.end]
        before = [w for w in words if w.end <= clip.start]
        assert ends_sentence(inside[-1].text)
        assert not before or ends_sentence(before[-1].text)
        assert clip.text.split()[0] == inside[0].text


def test_it_keeps_clips_apart_and_ranks_them(selection: SelectionResult) -> None:
    clips = sorted(selection.clips, key=lambda clip: clip.start)
    assert all(a.end <= b.start for a, b in pairwise(clips))
    assert [clip.rank for clip in selection.clips] == [1, 2, 3]
    scores = [clip.score for clip in selection.clips]
    assert scores == sorted(scores, reverse=True)


def test_it_keeps_each_clip_inside_one_topic(
    selection: SelectionResult, analysis: AnalysisResult
) -> None:
    for clip in selection.clips:
        assert clip.topic is not None
        topic = analysis.topics[clip.topic]
        assert clip.title.startswith(topic.title)
        assert not any(clip.start + 1 < t.start < clip.end - 1 for t in analysis.topics)


def test_it_cuts_long_pauses_out_of_clips(
    lecture: SynthLecture, selection: SelectionResult
) -> None:
    # Each topic has a 1.5 s pause in the middle; a clip across it keeps only 0.3 s of it.
    for clip in selection.clips:
        crossed = [p for p in lecture.inner_pauses if clip.start < p[0] and p[1] < clip.end]
        assert len(clip.ranges) == len(crossed) + 1
        for (_, cut_from), (cut_to, _) in zip(clip.ranges, clip.ranges[1:], strict=False):
            assert cut_to - cut_from > 0.8
        assert clip.duration < clip.end - clip.start - 1.0 * len(crossed)


def test_it_returns_the_best_single_clip_when_asked_for_one(
    transcript: list[dict[str, Any]], analysis: AnalysisResult, silences: SilenceResult
) -> None:
    (best,) = select_clips(transcript, analysis.topics, silences.silences, count=1).clips
    # The strongest moment: one the lecturer flags, not a definition or a central sentence.
    assert best.rank == 1
    assert best.reason.startswith(
        ("The key point", "For the exam", "The key insight", "In summary")
    )


def test_it_works_from_stored_dicts_and_without_silences() -> None:
    # Word gaps stand in for silences; topics may come back from JSON.
    segments = segments_from(PHOTOSYNTHESIS)
    # A 2-second pause after the fourth sentence.
    for segment in segments[4:]:
        segment["start"] += 2.0
        segment["end"] += 2.0
        for word in segment["words"]:
            word["start"] += 2.0
            word["end"] += 2.0
    topics = [
        {"start": 0.0, "end": 60.0, "title": "Plants", "summary": "", "importance": 0.7, "why": ""}
    ]
    result = select_clips(segments, topics, count=2, min_length=10, max_length=40)
    assert result.clips
    clip = result.clips[0]
    assert len(clip.ranges) == 2
    assert json.loads(json.dumps(result.to_dict()))["clips"][0]["title"] == "Plants"


def test_it_returns_nothing_for_an_empty_transcript() -> None:
    assert select_clips([], []).clips == []
    assert select_clips(segments_from(CUBE), [], count=0).clips == []
