"""Per-user settings that staff edit in admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """Per-user settings that staff edit in admin (usage limits)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lectern_profile"
    )
    # Minutes a month this user may send to a metered backend (OpenAI); empty: the site default.
    metered_minutes_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: use LECTERN_METERED_MINUTES_QUOTA."
    )
    # Answers a day from the language model for questions about lectures; empty: the site default.
    llm_answers_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: use LECTERN_LLM_ANSWERS_PER_DAY."
    )

    class Meta:
        # Moved here from the transcripts app; the table keeps its name (no data moves).
        db_table = "transcripts_profile"

    def __str__(self) -> str:
        return f"Profile of {self.user}"
