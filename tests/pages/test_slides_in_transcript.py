"""Where the job page puts each slide in the transcript: just before the line it came up in."""

from __future__ import annotations

from types import SimpleNamespace

from jobs.pages.views import _with_slides


def _lines(*spans: tuple[float, float]) -> list[SimpleNamespace]:
    return [SimpleNamespace(index=i, start=a, end=b) for i, (a, b) in enumerate(spans)]


def test_each_slide_comes_just_before_the_line_it_came_up_in() -> None:
    # Lines a sentence each: a slide shown at 12.4 s (during the line 11.5-14.0) sits before
    # that line, not before the paragraph's first line at 8.0 s.
    lines = _lines((0.0, 4.0), (4.0, 8.0), (8.0, 11.5), (11.5, 14.0), (14.0, 20.0))
    slides = [
        {"time": 12.4, "title": "B"},
        {"time": 0.0, "title": "A"},
        {"time": 30.0, "title": "C"},
    ]
    order = [
        (kind, item["title"] if kind == "slide" else item.index)
        for kind, item in _with_slides(lines, slides)
    ]
    assert order == [
        ("slide", "A"), ("segment", 0), ("segment", 1), ("segment", 2),
        ("slide", "B"), ("segment", 3), ("segment", 4), ("slide", "C"),
    ]  # fmt: skip


def test_a_slide_shown_as_a_line_ends_goes_with_the_next_line() -> None:
    lines = _lines((0.0, 4.0), (4.0, 8.0))
    kinds = [kind for kind, _ in _with_slides(lines, [{"time": 4.0}])]
    assert kinds == ["segment", "slide", "segment"]
