"""``{% layout_check job %}``: the job page's layout check (jobs/layout_check.py)."""

from __future__ import annotations

from typing import Any

from django import template

from jobs.pages.layout_check import layout_context

register = template.Library()


@register.inclusion_tag("jobs/includes/layout_check.html", takes_context=True)
def layout_check(context: template.Context, job: Any) -> dict[str, Any]:
    return {**layout_context(job), "request": context.get("request"),
            "csrf_token": context.get("csrf_token")}  # fmt: skip
