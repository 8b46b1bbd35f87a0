from __future__ import annotations

import math

from django import template
from django.utils.translation import get_language_info

from transcripts.speech import clock

register = template.Library()


@register.filter
def timecode(seconds: float | None) -> str:
    """Seconds as m:ss, or h:mm:ss past an hour."""
    if seconds is None:
        return "—"
    return clock(max(0.0, seconds))


@register.filter
def seconds(value: float | None) -> int:
    """Whole seconds for a time link (``#t=5``), rounded down: a line at 0:05.88 must start at
    5, not at 6, which would cut its first word."""
    return max(0, math.floor(value or 0.0))


@register.filter
def language_label(code: str | None) -> str:
    """A language code as its English name ("de" → "German"); codes Django does not know
    (Whisper knows about a hundred languages) stay as they are, upper-cased."""
    if not code:
        return "unknown"
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code.upper()


@register.filter
def duration_words(seconds: float | None) -> str:
    """A rough duration for people: "less than a minute", "3 minutes", "1 h 20 min"."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def time_left(seconds: float | None) -> str:
    """An estimate of the time left, in words: "about 2 minutes left", "less than a minute left"
    ("about" only before a number: never "about less than a minute")."""
    if seconds is None:
        return ""
    words = duration_words(seconds)
    return f"{words} left" if words == "less than a minute" else f"about {words} left"


@register.filter
def speaker_name(label: str, job) -> str:
    """The name the user gave a speaker label, or the label itself."""
    return (getattr(job, "speaker_names", None) or {}).get(label) or label


@register.filter
def speaker_lookup(names: dict | str, label: str) -> str:
    return names.get(label, "") if isinstance(names, dict) else ""


@register.filter
def timed_words(segment) -> list[dict] | None:
    """A line's words with their times, for highlighting the word being spoken; None when the
    words do not spell the line's text exactly (then the line shows as plain text).

    Each item: ``space`` (what comes before the word), ``text``, ``start`` and ``end``. Edits keep
    the words in step with the text (``transcripts.alignment``), so this holds after edits too.
    """
    words = getattr(segment, "words", None) or []
    text = getattr(segment, "text", "") or ""
    items = []
    for word in words:
        raw = str(word.get("word", "")) if isinstance(word, dict) else ""
        start, end = word.get("start"), word.get("end")
        token = raw.lstrip()
        if not token or start is None or end is None:
            return None
        items.append({"space": raw[: len(raw) - len(token)], "text": token,
                      "start": float(start), "end": float(end)})  # fmt: skip
    if not items or "".join(i["space"] + i["text"] for i in items).strip() != text.strip():
        return None
    items[0]["space"] = ""
    return items
