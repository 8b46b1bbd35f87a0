"""A lecture's timeline as an SVG string, rendered on the server: no JavaScript needed to see it.

Three lanes over one time axis: speech and silence, the topics (darker for more important ones),
and the chosen clips, numbered in time order (1 is the first to play). The picture is labelled for screen readers (``role="img"``,
``aria-labelledby`` a ``<title>`` and a ``<desc>``), and every block has its own ``<title>``, which
browsers show as a tooltip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from jobs.highlights.chapters import timestamp

_WIDTH = 960
_GUTTER = 70  # room for the lane names on the left
_LANES = {"speech": (22, 14), "topics": (44, 30), "clips": (82, 20)}  # y, height
_AXIS_Y = 112
_HEIGHT = 132
_TOPIC_COLOURS = ("#2f6db5", "#7a4fb0")
# Every block label must reach 4.5:1 against its block (WCAG AA): white on this orange is 5.1:1.
_CLIP_COLOUR = "#a85a12"
_LIGHT_TEXT, _DARK_TEXT = "#ffffff", "#000000"  # black, not --fg: 4.6:1 at the worst blend


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def timeline_svg(
    duration: float,
    *,
    silences: Sequence[tuple[float, float]] = (),
    topics: Sequence[Any] = (),
    clips: Sequence[Any] = (),
    title: str = "Lecture timeline",
    id_prefix: str = "timeline",
) -> str:
    """The SVG markup (safe to put in a page as is: every text is escaped).

    ``topics`` and ``clips`` are the analyser's ``Topic`` and the selection's ``Clip`` objects or
    their dicts. ``id_prefix`` keeps element ids unique when a page shows several timelines.
    """
    duration = max(duration, 1e-6)
    span = _WIDTH - _GUTTER - 10

    def x(time: float) -> float:
        return round(_GUTTER + span * min(max(time, 0.0), duration) / duration, 2)

    def width(start: float, end: float) -> float:
        return round(max(x(end) - x(start), 0.5), 2)

    speaking = duration - sum(max(0.0, min(b, duration) - max(a, 0.0)) for a, b in silences)
    summary = (
        f"{timestamp(duration)} of recording: {len(topics)} topics, {len(clips)} highlight "
        f"clips, {len(silences)} pauses; speech {100 * speaking / duration:.0f}% of the time."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" '
        f'aria-label="{escape(title)}: {escape(summary)}" class="timeline">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(summary)}</desc>',
        # No <style> element: the page's Content-Security-Policy allows only our stylesheet,
        # which styles .timeline text, .lane-name and .block-label.
    ]
    for name, (y, h) in _LANES.items():
        out.append(f'<text class="lane-name" x="4" y="{y + h / 2 + 4}">{name.title()}</text>')

    # Speech lane: one bar for the whole recording, with the pauses cut out of it in grey.
    y, h = _LANES["speech"]
    out.append('<g class="speech">')
    out.append(
        f'<rect x="{x(0)}" y="{y}" width="{width(0, duration)}" height="{h}" fill="#3a9d5d">'
        "<title>Speech</title></rect>"
    )
    for start, end in silences:
        out.append(
            f'<rect x="{x(start)}" y="{y}" width="{width(start, end)}" height="{h}" '
            f'fill="#d7d7d7"><title>Pause {timestamp(start)}–{timestamp(end)} '
            f"({end - start:.1f} s)</title></rect>"
        )
    out.append("</g>")

    y, h = _LANES["topics"]
    out.append('<g class="topics">')
    for index, topic in enumerate(topics):
        start, end = float(_get(topic, "start")), float(_get(topic, "end"))
        name = str(_get(topic, "title", "") or f"Topic {index + 1}")
        importance = float(_get(topic, "importance", 0.5) or 0.0)
        colour = _TOPIC_COLOURS[index % len(_TOPIC_COLOURS)]
        opacity = round(0.45 + 0.55 * max(0.0, min(1.0, importance)), 2)
        label = f"{name} ({timestamp(start)}–{timestamp(end)}), importance {importance:.2f}"
        out.append(
            f'<rect x="{x(start)}" y="{y}" width="{width(start, end)}" height="{h}" rx="3" '
            f'fill="{colour}" fill-opacity="{opacity}"><title>{escape(label)}</title></rect>'
        )
        room = width(start, end) - 8
        if room > 40:
            text = _fit(name, room)
            # A faint (unimportant) topic is light behind its label: dark text there.
            shade = "" if _white_reads_on(colour, opacity) else " on-light"
            out.append(
                f'<text class="block-label{shade}" x="{x(start) + 4}" y="{y + h / 2 + 4}">'
                f"{escape(text)}</text>"
            )
    out.append("</g>")

    y, h = _LANES["clips"]
    out.append('<g class="clips">')
    # Numbered as they play, left to right (the selection's rank, best first, read 3, 2, 1 on
    # the axis); the rank is kept in the tooltip.
    in_time = sorted(clips, key=lambda clip: float(_get(clip, "start")))
    for number, clip in enumerate(in_time, start=1):
        start, end = float(_get(clip, "start")), float(_get(clip, "end"))
        rank = int(_get(clip, "rank", 0) or 0)
        name = str(_get(clip, "title", "") or f"Clip {number}")
        best = f", rank {rank} of {len(clips)}" if rank else ""
        label = f"Clip {number}: {name} ({timestamp(start)}–{timestamp(end)}{best})"
        out.append(
            f'<rect x="{x(start)}" y="{y}" width="{width(start, end)}" height="{h}" rx="3" '
            f'fill="{_CLIP_COLOUR}"><title>{escape(label)}</title></rect>'
        )
        if width(start, end) > 14:
            out.append(
                f'<text class="block-label" x="{x(start) + 4}" y="{y + h / 2 + 4}">{number}</text>'
            )
    out.append("</g>")

    out.append(
        f'<g class="axis"><line x1="{x(0)}" x2="{x(duration)}" y1="{_AXIS_Y}" y2="{_AXIS_Y}" '
        'stroke="#999"/>'
    )
    step = _tick_step(duration)
    tick = 0.0
    while tick <= duration + 1e-6:
        out.append(
            f'<line x1="{x(tick)}" x2="{x(tick)}" y1="{_AXIS_Y}" y2="{_AXIS_Y + 4}" '
            f'stroke="#999"/><text x="{x(tick)}" y="{_AXIS_Y + 16}" text-anchor="middle">'
            f"{timestamp(tick)}</text>"
        )
        tick += step
    out.append("</g></svg>")
    return "".join(out)


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def blend(colour: str, opacity: float, background: str = "#ffffff") -> str:
    """``colour`` at ``opacity`` over ``background``, as the eye sees it."""
    fg = [int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    bg = [int(background.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(
        f"{round(f * opacity + b * (1 - opacity)):02x}" for f, b in zip(fg, bg, strict=True)
    )


def _white_reads_on(colour: str, opacity: float) -> bool:
    seen = blend(colour, opacity)
    return contrast(_LIGHT_TEXT, seen) >= contrast(_DARK_TEXT, seen)


def _tick_step(duration: float) -> float:
    """A round step giving at most about ten ticks."""
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 10:
            return float(step)
    return 7200.0


def _fit(text: str, room: float, char_width: float = 6.2) -> str:
    """``text`` shortened with an ellipsis to about ``room`` pixels of 11 px type."""
    limit = int(room / char_width)
    return text if len(text) <= limit else text[: max(1, limit - 1)].rstrip() + "…"
