from __future__ import annotations

from django import forms
from django.conf import settings

from jobs.intake import rules
from jobs.intake.uploads import media_problem
from jobs.models import LANGUAGES, Job


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class TokenListField(forms.Field):
    """The tokens of files the browser sent straight to the bucket (``jobs.storage.direct``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [str(item) for item in value or [] if item]


class UploadForm(forms.Form):
    media = MultipleFileField(
        label="Audio or video files",
        required=False,
        error_messages={"empty": "The file is empty (0 bytes)."},
        help_text=f"Any common audio or video format, up to {settings.MAX_UPLOAD_MB} MB each. "
        "Choose several to make a batch.",
    )
    urls = forms.CharField(
        label="…or links to videos",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://…  (one per line)"}),
        help_text="A video page or a direct link to a media file; one per line.",
    )
    uploaded = TokenListField(required=False)
    title = forms.CharField(label="Title", max_length=200, required=False)
    language = forms.ChoiceField(label="Language", choices=LANGUAGES, initial="auto")
    task = forms.ChoiceField(label="Output", choices=Job.Task.choices, initial=Job.Task.TRANSCRIBE)
    highlights = forms.TypedChoiceField(
        label="Highlight clips",
        choices=[("auto", "For videos"), ("yes", "Always"), ("no", "Never")],
        initial="auto",
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
        required=False,
    )

    clip_layout = forms.ChoiceField(
        label="Clip shape",
        choices=Job.ClipLayout.choices,
        initial=Job.ClipLayout.VERTICAL,
        required=False,
    )

    diarize = forms.BooleanField(
        label="Identify speakers",
        required=False,
        help_text="Label who speaks when (a lecturer and students, a panel).",
    )
    speakers = forms.IntegerField(
        label="Number of speakers",
        required=False,
        min_value=1,
        max_value=20,
        help_text="Leave empty to estimate it.",
    )

    def clean_clip_layout(self) -> str:
        return self.cleaned_data.get("clip_layout") or Job.ClipLayout.VERTICAL

    def __init__(
        self, *args, upload_too_large: bool = False, upload_refusal: str | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.upload_too_large = upload_too_large or bool(upload_refusal)
        self.upload_refusal = upload_refusal
        self.fields["media"].widget.attrs.update({"accept": "audio/*,video/*"})

    def clean_media(self) -> list:
        files = self.cleaned_data.get("media") or []
        for upload in files:
            if upload.size == 0:
                raise forms.ValidationError(f"{upload.name} is empty (0 bytes).")
        # Probed now, so that a file the worker would refuse is refused here, in its words.
        problems = [
            f"{upload.name}: {problem}" if len(files) > 1 else problem
            for upload in files
            if (problem := media_problem(upload))
        ]
        if problems:
            raise forms.ValidationError(problems)
        return files

    def clean_urls(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data.get("urls", "").splitlines()]
        # Counted before any is resolved: each check may wait on DNS.
        if len([line for line in lines if line]) > settings.MAX_BATCH:
            raise forms.ValidationError(f"At most {settings.MAX_BATCH} files or links at once.")
        urls, errors = [], []
        for line in filter(None, lines):
            try:
                urls.append(rules.validate_url(line))
            except rules.UnsafeURL as exc:
                errors.append(f"{line[:80]}: {exc}")
        if errors:
            raise forms.ValidationError(errors)
        return urls

    def clean(self):
        cleaned = super().clean()
        if self.upload_too_large:
            # The upload was cut off, so the fields after the file never arrived: only the
            # size is worth reporting.
            for name in list(self.errors):
                self.errors.pop(name)
            self.add_error(
                "media",
                self.upload_refusal
                or f"A file is larger than the {settings.MAX_UPLOAD_MB} MB upload limit.",
            )
            return cleaned
        count = sum(len(cleaned.get(name) or []) for name in ("media", "urls", "uploaded"))
        if not self.errors and count == 0:
            raise forms.ValidationError("Choose a file to upload or paste a link.")
        if count > settings.MAX_BATCH:
            raise forms.ValidationError(f"At most {settings.MAX_BATCH} files or links at once.")
        return cleaned
