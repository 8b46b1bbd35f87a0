"""YouTube-style chapters ("mm:ss Title" lines) from the analyser's topics.

YouTube only shows chapters when the first starts at 00:00, there are at least three, and each
lasts at least ten seconds; shorter topics are folded into the one before them so that the list
stays valid, and ``valid_for_youtube`` says whether it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


@dataclass
class Chapters:
    chapters: list[Chapter]
    duration: float

    @property
    def lines(self) -> list[str]:
        # From an hour on every line has hours, so that the column lines up for people too.
        hours = self.duration >= 3600
        return [f"{timestamp(c.start, hours=hours)} {c.title}" for c in self.chapters]

    @property
    def text(self) -> str:
        """The lines to paste into a video description."""
        return "\n".join(self.lines)

    @property
    def valid_for_youtube(self) -> bool:
        return len(self.chapters) >= 3 and self.chapters[0].start == 0

    def to_dict(self) -> dict[str, object]:
        return {
            "chapters": [{"start": round(c.start, 2), "title": c.title} for c in self.chapters],
            "text": self.text,
            "duration": round(self.duration, 2),
            "valid_for_youtube": self.valid_for_youtube,
        }


def timestamp(seconds: float, *, hours: bool = False) -> str:
    """``mm:ss``, or ``h:mm:ss`` from an hour on (or always, with ``hours``)."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if h or hours:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m:02d}:{s:02d}"


def chapters(topics: Sequence[Any], *, duration: float = 0.0, min_length: float = 10.0) -> Chapters:
    """One chapter per topic (``Topic`` objects or their dicts), the first at 00:00."""
    items = []
    for topic in topics:
        get = topic.get if isinstance(topic, Mapping) else lambda n, t=topic: getattr(t, n)
        title = " ".join(str(get("title") or "").split()) or "Untitled"
        items.append((float(get("start")), float(get("end")), title))
    items.sort()
    end = max([duration, *(item[1] for item in items)]) if items else duration

    kept: list[list[Any]] = []
    for index, (start, _, title) in enumerate(items):
        following = items[index + 1][0] if index + 1 < len(items) else end
        # Whole seconds, as the lines show them: two topics in the same second would collide.
        if int(following) - int(start) < min_length:
            continue  # too short to be a chapter: it stays part of its neighbour
        kept.append([float(int(start)), title])
    if not kept and items:
        kept = [[0.0, items[0][2]]]
    if kept:
        kept[0][0] = 0.0  # YouTube requires the first chapter at 00:00
    return Chapters([Chapter(start, title) for start, title in kept], end)
