from __future__ import annotations

from django import forms


class SegmentForm(forms.Form):
    text = forms.CharField(
        label="Segment text",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=True,
    )
