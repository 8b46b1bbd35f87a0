"""Profile, moved here from the transcripts app, on its existing table: no data moves."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0007_job_poster"),
        ("transcripts", "0006_profile_moves_to_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Profile",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "metered_minutes_quota",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Empty: use LECTERN_METERED_MINUTES_QUOTA.",
                                null=True,
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="lectern_profile",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "transcripts_profile"},
                )
            ],
            database_operations=[],
        )
    ]
