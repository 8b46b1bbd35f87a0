"""Profile moves to the jobs app (jobs/accounts/models.py). Only Django's state changes: the
table ``transcripts_profile`` and its rows stay where they are; jobs.0008 takes the model over."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0005_transcript_prompt")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Profile")], database_operations=[]
        )
    ]
