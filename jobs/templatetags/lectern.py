from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def timecode(seconds: float | None) -> str:
    """Seconds as m:ss, or h:mm:ss past an hour."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


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
def speaker_name(label: str, job) -> str:
    """The name the user gave a speaker label, or the label itself."""
    return (getattr(job, "speaker_names", None) or {}).get(label) or label


@register.filter
def speaker_lookup(names: dict | str, label: str) -> str:
    return names.get(label, "") if isinstance(names, dict) else ""
