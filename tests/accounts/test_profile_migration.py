"""An installed Lectern keeps its users' quotas when Profile moves from transcripts to jobs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_q.models import Schedule as NewSchedule

from jobs.accounts.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("transcripts", "0005_transcript_prompt"), ("jobs", "0007_job_poster")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_it_keeps_every_profile_across_the_move():
    old = _migrate(BEFORE)
    User = old.get_model("auth", "User")
    OldProfile = old.get_model("transcripts", "Profile")
    ann = User.objects.create(username="ann")
    OldProfile.objects.create(user=ann, metered_minutes_quota=42)
    Schedule = old.get_model("django_q", "Schedule")
    Schedule.objects.create(
        name="webhook-retry", func="jobs.webhooks.deliver", args="('x', 'e', 2)"
    )

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert Profile.objects.get(user__username="ann").metered_minutes_quota == 42
    assert Profile._meta.db_table == "transcripts_profile"
    # A webhook retry scheduled before the upgrade runs under the task's new path.
    assert NewSchedule.objects.get(name="webhook-retry").func == "jobs.tasks.deliver_webhook"
