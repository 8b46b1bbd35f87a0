"""Task entry points moved to jobs/tasks.py when jobs/ was split into rooms: webhook retries that
were scheduled under the old path keep running under the new one."""

from django.db import migrations

OLD, NEW = "jobs.webhooks.deliver", "jobs.tasks.deliver_webhook"


def forwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(func=OLD).update(func=NEW)


def backwards(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(func=NEW).update(func=OLD)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0008_profile_from_transcripts"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(forwards, backwards)]
