"""The prompt a transcript was made with (for the content cache), and search triggers restored.

0004 added a column to transcripts_segment; on SQLite Django does that by rebuilding the table,
which drops the FTS5 triggers 0003 made, so new segments were no longer found by search. They are
made again here and the index rebuilt (all statements are idempotent).
"""

import importlib

from django.db import migrations, models

_search = importlib.import_module("transcripts.migrations.0003_segment_search")


def _restore_search(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _search.SQLITE_FORWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("transcripts", "0004_languages_and_speech_check"),
    ]

    operations = [
        migrations.AddField(
            model_name="transcript",
            name="prompt_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(_restore_search, migrations.RunPython.noop),
    ]
