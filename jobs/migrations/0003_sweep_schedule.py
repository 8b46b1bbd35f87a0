"""The schedule that runs the sweeper (jobs.sweeper) every minute on any worker of this site.

Made by a migration rather than at worker start: it then exists, once, as soon as the database is
migrated (which a deploy does before any worker starts), without N workers racing to create it.
``manage.py sweep --ensure-schedule`` puts it back if someone deletes it in the admin.
"""

from django.db import migrations

# Kept equal to jobs.sweeper.SCHEDULE_NAME and schedule_defaults(); a migration stays as written.
NAME = "Lectern: sweep stale jobs"
DEFAULTS = {
    "func": "jobs.tasks.sweep_stale_jobs",
    "schedule_type": "I",  # every `minutes` minutes
    "minutes": 1,
    "repeats": -1,
    "kwargs": "q_options={'save': False}",
    "cluster": None,
}


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).update_or_create(
        name=NAME, defaults=DEFAULTS
    )


def delete_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.using(schema_editor.connection.alias).filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_intake_and_highlights"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
