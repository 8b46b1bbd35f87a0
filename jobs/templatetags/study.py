"""``{% study job %}``: the job page's study notes and question box (jobs/study/)."""

from __future__ import annotations

from typing import Any

from django import template

from jobs.study.selectors import study_notes_current

register = template.Library()


@register.inclusion_tag("jobs/includes/study.html", takes_context=True)
def study(context: template.Context, job: Any) -> dict[str, Any]:
    # Read only: after an edit the notes are made again by a task (study_notes_follow_edit).
    return {"job": job, "notes": study_notes_current(job=job), "request": context.get("request"),
            "csrf_token": context.get("csrf_token")}  # fmt: skip


@register.filter
def source(found: list[Any], number: int) -> Any:
    """``found|source:n``: the passage an answer cites as [n], or None."""
    return found[number - 1] if 0 < number <= len(found) else None
