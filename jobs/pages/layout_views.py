"""The job page's layout check: the owner corrects the detected layout and clips render again."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from jobs import selectors
from jobs.pages.layout_check import (
    PRESETS,
    detected_layout,
    layout_context,
    layout_correct,
    preview_boxes,
)

TEMPLATE = "jobs/includes/layout_check.html"
BOX_FIELDS = ("x", "y", "w", "h")


class LayoutForm(forms.Form):
    """A preset, or "custom" with the boxes as numbers (source pixels; a box left empty is none)."""

    preset = forms.ChoiceField(
        choices=[("custom", "The boxes below"), *[(k, p.label) for k, p in PRESETS.items()]]
    )

    def __init__(self, *args, width: int, height: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.frame = (width, height)
        for name in ("screen", "camera"):
            for part in BOX_FIELDS:
                # The frame check in _box() says which box is outside, in the frame's terms.
                self.fields[f"{name}_{part}"] = forms.IntegerField(required=False, min_value=0)

    def _box(self, name: str) -> tuple[int, int, int, int] | None:
        values = [self.cleaned_data.get(f"{name}_{part}") for part in BOX_FIELDS]
        if all(value is None for value in values):
            return None
        if any(value is None for value in values):
            raise forms.ValidationError(f"Give all four numbers of the {name} box, or none.")
        x, y, w, h = (int(value) for value in values)  # type: ignore[arg-type]
        width, height = self.frame
        if w <= 0 or h <= 0 or x + w > width or y + h > height:
            raise forms.ValidationError(
                f"The {name} box must lie inside the {width}x{height} frame."
            )
        return x, y, w, h

    def clean(self) -> dict[str, object]:
        data = super().clean()
        preset = data.get("preset")
        if preset and preset != "custom":
            data["screen"], data["camera"] = PRESETS[preset].boxes(*self.frame)
        elif preset == "custom":
            data["screen"], data["camera"] = self._box("screen"), self._box("camera")
            if data["screen"] is None and data["camera"] is None:
                raise forms.ValidationError("Give at least one box, or choose a preset.")
        return data


@login_required
@require_http_methods(["GET", "POST"])
def job_layout(request: HttpRequest, job_id: str) -> HttpResponse:
    """GET: the layout check (polled while clips render again). POST: the owner's correction, or
    (``action=preview``) its boxes drawn over the frame without applying them."""
    job = selectors.job_for_user(request.user, job_id)
    layout = detected_layout(job)
    form = None
    preview = None
    if request.method == "POST" and layout is not None:
        form = LayoutForm(request.POST, width=layout.width, height=layout.height)
        if form.is_valid() and request.POST.get("action") == "preview":
            preview = form.cleaned_data
            form = None
        elif form.is_valid():
            layout_correct(
                job=job, screen=form.cleaned_data["screen"], camera=form.cleaned_data["camera"]
            )
            if not request.htmx:
                return redirect(f"{job.get_absolute_url()}?tab=layout#layout-check")
            form = None
    job.refresh_from_db()
    context = layout_context(job)
    if preview is not None:
        context["preview"] = preview_boxes(preview["screen"], preview["camera"])
        context["chosen_preset"] = preview["preset"]
        for name, _, parts in context.get("box_fields", []):
            box = preview[name]
            parts[:] = list(zip(BOX_FIELDS, box if box else [None] * 4, strict=True))
    if form is not None:
        context["form_errors"] = form.non_field_errors() or [
            f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
        ]
    response = render(request, TEMPLATE, context, status=400 if form is not None else 200)
    if request.GET.get("poll") and not context["rerendering"]:
        # The clips are rendered again: reload the page so that it shows them.
        response["HX-Refresh"] = "true"
    return response
