"""Fair queueing (issue 28, finding 3): one person's backlog cannot hold everyone else up, and
nobody may fill the queue. The page, the API and link batches refuse past the cap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse

from jobs import services
from jobs.api.keys import api_key_create
from jobs.models import Job
from jobs.tasks import run_job
from tests.api.conftest import bearer
from tests.factories import job_from_file, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.scaleout]


def test_it_runs_another_users_first_job_before_a_backlog(
    alice, bob, settings, short_clips: Callable[[int], list[Path]]
):
    settings.LECTERN_MODEL = "tiny.en"
    clips = short_clips(6)
    backlog = [job_from_file(alice, clip) for clip in clips[:5]]
    first = job_from_file(bob, clips[5])
    # One worker takes the tasks in the order they were queued: alice's five, then bob's.
    tasks = [str(job.pk) for job in [*backlog, first]]

    assert run_job(tasks[0]) == Job.Status.SUCCEEDED  # the oldest, and nobody was served yet
    assert run_job(tasks[1]) == Job.Status.SUCCEEDED  # alice's second task: bob's job runs

    first.refresh_from_db()
    assert first.status == Job.Status.SUCCEEDED
    assert (
        list(Job.objects.filter(owner=alice).values_list("status", flat=True)).count(
            Job.Status.QUEUED
        )
        == 4
    )
    started = sorted(Job.objects.exclude(started_at=None), key=lambda job: job.started_at)
    assert [job.owner_id for job in started] == [alice.pk, bob.pk]
    # Each task still runs one job: the rest of the tasks take alice's jobs in the order she
    # queued them (bob's own task included).
    assert Job.objects.get(pk=tasks[0]).status == Job.Status.SUCCEEDED
    remaining = [job.pk for job in backlog[1:]]
    assert [run_job(task) for task in tasks[2:]] == [Job.Status.SUCCEEDED] * 4
    order = Job.objects.filter(owner=alice).exclude(pk=tasks[0]).order_by("started_at")
    assert list(order.values_list("pk", flat=True)) == remaining
    assert not Job.objects.filter(status=Job.Status.QUEUED).exists()


def test_it_refuses_jobs_past_the_cap_on_the_page_the_api_and_in_batches(
    client, alice, bob, jfk_wav, settings
):
    settings.MAX_ACTIVE_JOBS_PER_USER = 3
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    client.force_login(alice)
    links = "\n".join(f"http://127.0.0.1:9/talk-{n}.mp4" for n in range(4))
    form = {"language": "auto", "task": "transcribe", "highlights": "no", "clip_layout": "vertical"}

    refused = client.post(reverse("jobs:create"), {**form, "urls": links})
    assert refused.status_code == 429
    assert (
        "This batch has 4 files or links, but you have 0 jobs queued or running and one person "
        "may have at most 3 at a time: 3 more can be added now."
    ) in refused.content.decode()
    assert not Job.objects.exists()  # a batch is refused whole

    accepted = client.post(reverse("jobs:create"), {**form, "urls": links.rsplit("\n", 1)[0]})
    assert accepted.status_code == 302 and Job.objects.filter(owner=alice).count() == 3

    token = api_key_create(user=alice, name="t").token
    answer = client.post(
        "/api/v1/jobs", {"file": upload("jfk.wav", jfk_wav.read_bytes())}, headers=bearer(token)
    )
    assert answer.status_code == 429
    assert answer.json()["detail"] == (
        "You have 3 jobs queued or running, the most one person may have at a time (3). "
        "Add more when some have finished, or cancel some."
    )
    assert Job.objects.filter(owner=alice).count() == 3
    openai = client.post(
        "/v1/audio/transcriptions",
        {"file": upload("jfk.wav", jfk_wav.read_bytes()), "model": "whisper-1"},
        headers=bearer(token),
    )
    assert openai.status_code == 429 and openai.json()["error"]["code"] == "too_many_jobs"
    failed = Job.objects.create(owner=alice, status=Job.Status.FAILED, error="Gone.")
    page = client.post(reverse("jobs:retry", args=[failed.pk]), follow=True).content.decode()
    assert "You have 3 jobs queued or running" in page  # a retry is a new job in the queue
    assert Job.objects.get(pk=failed.pk).status == Job.Status.FAILED
    failed.delete()
    # Bob is not held back by alice's jobs, and a finished job makes room again.
    assert services.job_create(owner=bob, upload=upload("jfk.wav", jfk_wav.read_bytes()))
    services.job_cancel(job=Job.objects.filter(owner=alice).first())
    again = client.post(
        "/api/v1/jobs", {"file": upload("jfk.wav", jfk_wav.read_bytes())}, headers=bearer(token)
    )
    assert again.status_code == 201
