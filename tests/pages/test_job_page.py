"""The job page's messages and actions: what it says must stay true as the job moves on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.tasks import run_job
from tests.factories import job_from_bytes, job_from_file

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_offers_no_retry_for_a_file_that_is_not_media(client, alice):
    job = job_from_bytes(alice, "notes.mp4", b"These are lecture notes, not a recording.\n" * 50)
    run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and not job.retryable and not job.can_retry
    client.force_login(alice)

    page = client.get(job.get_absolute_url()).content.decode()
    assert job.error in page
    assert reverse("jobs:retry", args=[job.pk]) not in page
    assert "upload another file" in page
    refused = client.post(reverse("jobs:retry", args=[job.pk]), follow=True)
    assert "failed on its file" in refused.content.decode()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


def test_it_still_offers_retry_after_a_failure_that_may_pass(client, alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    # Failed later than the file check (say the model could not be loaded): worth another go.
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, stage=Job.Stage.TRANSCRIBE, error="The model could not load."
    )
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert reverse("jobs:retry", args=[job.pk]) in page


def test_it_clears_the_queued_message_when_the_job_ends(client, alice, jfk_wav, settings):
    settings.LECTERN_MODEL = "tiny.en"
    client.force_login(alice)
    with jfk_wav.open("rb") as media:
        created = client.post(
            reverse("jobs:create"), {"media": media, "language": "en", "task": "transcribe"}
        )
    job = Job.objects.get()
    page = client.get(created["Location"]).content.decode()
    assert "is queued." in page and 'id="messages"' in page

    run_job(str(job.pk))
    poll = client.get(
        job.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "job-progress"}
    )
    assert poll.status_code == 286
    body = poll.content.decode()
    # The finished fragment empties the messages out of band; a reload no longer has them.
    assert '<div id="messages" hx-swap-oob="true"></div>' in body
    assert "is queued." not in client.get(job.get_absolute_url()).content.decode()


def test_it_clears_the_queued_message_once_the_job_runs(client, alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    client.force_login(alice)
    poll = {"headers": {"HX-Request": "true", "HX-Target": "job-progress"}}
    # Still queued: "… is queued." holds, and stays.
    assert 'id="messages" hx-swap-oob' not in client.get(job.get_absolute_url(), **poll).text
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, stage=Job.Stage.TRANSCRIBE)
    body = client.get(job.get_absolute_url(), **poll).content.decode()
    assert "<progress" in body  # the page shows the live progress now...
    assert '<div id="messages" hx-swap-oob="true"></div>' in body  # ...and the message goes


def test_it_offers_tabs_downloads_and_time_links_that_work_without_script(client, alice):
    from tests.factories import finished_job
    from transcripts.models import Segment

    job = finished_job(alice, "talk.mp3", ["Light is captured.", "Water is split."])
    Segment.objects.filter(transcript__job=job, index=1).update(start=5.88)
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    # A line at 0:05.88 links to 5 s, not 6 (which would cut its first word).
    assert 'href="#t=5" aria-label="Play from 0:05"' in page
    # Every section is a tab (a link to the page with it open); notes open by default.
    assert 'role="tablist"' in page and 'data-tab="notes"' in page
    assert '<a role="tab" id="tab-ask" href="?tab=ask"' in page
    opened = client.get(job.get_absolute_url() + "?tab=ask").content.decode()
    assert 'data-tab="ask" data-tab-chosen' in opened
    assert (
        'id="tab-ask" href="?tab=ask" aria-controls="panel-ask" data-tab="ask" aria-selected="true"'
        in opened
    )
    # One menu of downloads, with only what has content: no RTTM without speakers.
    assert page.count('class="menu downloads-menu"') == 1
    assert "/transcript.srt" in page and "/transcript.rttm" not in page
    Segment.objects.filter(transcript__job=job, index=0).update(speaker="S1")
    assert "/transcript.rttm" in client.get(job.get_absolute_url()).content.decode()
