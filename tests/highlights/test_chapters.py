from __future__ import annotations

from jobs.highlights.analysers import AnalysisResult, Topic
from jobs.highlights.chapters import chapters, timestamp


def topic(start: float, end: float, title: str) -> Topic:
    return Topic(start, end, title, summary="", importance=0.5, why="")


def test_it_writes_youtube_chapter_lines_starting_at_zero() -> None:
    result = chapters(
        [topic(3.2, 60, "Photosynthesis"), topic(61.9, 200, "The French revolution"),
         topic(200.4, 400, "Volume of a cube")]
    )  # fmt: skip
    assert (
        result.text == "00:00 Photosynthesis\n01:01 The French revolution\n03:20 Volume of a cube"
    )
    assert result.valid_for_youtube


def test_it_folds_topics_shorter_than_ten_seconds_into_the_one_before() -> None:
    result = chapters(
        [topic(0, 30, "Intro"), topic(30, 35, "Aside"), topic(35, 90, "Main"),
         topic(90, 95, "Thanks")]
    )  # fmt: skip
    assert [c.title for c in result.chapters] == ["Intro", "Main"]
    assert not result.valid_for_youtube  # fewer than three chapters


def test_it_uses_hours_for_long_lectures() -> None:
    result = chapters([topic(0, 1800, "First half"), topic(1800, 3700, "Second half")])
    assert result.lines == ["0:00:00 First half", "0:30:00 Second half"]
    assert timestamp(3725) == "1:02:05"


def test_it_takes_stored_topic_dicts(analysis: AnalysisResult) -> None:
    result = chapters([t.to_dict() for t in analysis.topics], duration=100)
    assert result.chapters[0].start == 0
    assert len(result.chapters) == 3
    assert result.to_dict()["text"].startswith("00:00 ")


def test_it_handles_no_topics() -> None:
    assert chapters([]).text == ""
