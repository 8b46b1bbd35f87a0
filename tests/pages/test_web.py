"""The weekly-use features: search, editing with history, admin.

Sign-up, password reset and the profile's usage are in tests/accounts/test_account_pages.py;
the queue position and the time left in tests/pages/test_dashboard.py.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.tasks import run_job
from tests.factories import finished_job, job_from_file
from transcripts.models import Segment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.scaleout  # full-text search differs per database: FTS5 here, tsvector on PostgreSQL
def test_it_searches_only_my_transcripts_and_links_to_the_time(client, alice, bob):
    mine = finished_job(alice, "biology.mp4", ["Hello.", "Photosynthesis turns light into sugar."])
    finished_job(bob, "bob.mp4", ["Photosynthesis is also in Bob's lecture."])
    client.force_login(alice)

    page = client.get("/", {"q": "photosynth"}).content.decode()

    assert f'href="{mine.get_absolute_url()}#t=10"' in page
    assert "<mark>Photosynthesis</mark>" in page
    assert "Bob" not in page and "bob.mp4" not in page
    assert "Nothing in your transcripts" in client.get("/", {"q": "zebra"}).content.decode()
    # FTS5 syntax in the query is just words to us, never an error.
    assert client.get("/", {"q": '"unbalanced AND ( NEAR'}).status_code == 200


@pytest.mark.scaleout  # full-text search differs per database: FTS5 here, tsvector on PostgreSQL
def test_it_keeps_search_in_step_with_edits(client, alice):
    job = finished_job(alice, "talk.mp4", ["The mitochondria is here."])
    client.force_login(alice)
    client.post(
        reverse("transcripts:segment-edit", args=[job.pk, 0]), {"text": "The ribosome is here."}
    )
    assert "ribosome" in client.get("/", {"q": "ribosome"}).content.decode()
    assert "Nothing in your transcripts" in client.get("/", {"q": "mitochondria"}).content.decode()


def test_it_edits_a_segment_in_place_and_exports_follow(client, alice):
    job = finished_job(alice, "talk.mp4", ["First line.", "Secnod line with a typo."])
    client.force_login(alice)
    edit_url = reverse("transcripts:segment-edit", args=[job.pk, 1])

    form = client.get(edit_url, headers={"HX-Request": "true"})
    assert form.status_code == 200 and "<textarea" in form.content.decode()
    assert "<html" not in form.content.decode()

    saved = client.post(edit_url, {"text": "Second line, fixed."}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    # The line comes back with its words (each in a span of its own, for the spoken-word mark).
    line = re.sub(r"<[^>]+>", "", saved.content.decode())
    assert 'id="segment-1"' in saved.content.decode() and "Second line, fixed." in line

    srt = client.get(reverse("jobs:export", args=[job.pk, "srt"])).content.decode()
    cues = " ".join(
        line for line in srt.splitlines() if line and "-->" not in line and not line.isdigit()
    )
    assert "Second line, fixed." in cues and "Secnod" not in srt
    assert (
        "Second line, fixed."
        in client.get(reverse("jobs:export", args=[job.pk, "txt"])).content.decode()
    )
    job.transcript.refresh_from_db()
    assert job.transcript.text == "First line. Second line, fixed."


def test_it_keeps_the_history_and_restores_it(client, alice):
    job = finished_job(alice, "talk.mp4", ["Original words."])
    client.force_login(alice)
    # Before any edit, the history page says so (it was a 500: an empty history broke the diff).
    never = client.get(reverse("transcripts:segment-history", args=[job.pk, 0]))
    assert never.status_code == 200 and "has not been edited" in never.content.decode()
    edit_url = reverse("transcripts:segment-edit", args=[job.pk, 0])
    client.post(edit_url, {"text": "Changed words."})  # without htmx: a redirect
    segment = Segment.objects.get(transcript__job=job, index=0)
    assert segment.text == "Changed words." and segment.edited

    history = client.get(reverse("transcripts:segment-history", args=[job.pk, 0])).content.decode()
    assert "Original words." in history
    # What the edit changed, word by word.
    assert '<del><span class="visually-hidden">removed: </span>Original</del>' in history
    assert '<ins><span class="visually-hidden">added: </span>Changed</ins> words.' in history
    revision = segment.revisions.get()
    response = client.post(reverse("transcripts:segment-restore", args=[job.pk, 0, revision.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#segment-0")
    segment.refresh_from_db()
    assert segment.text == "Original words."
    assert segment.revisions.count() == 2  # the changed text is kept too


def test_it_edits_without_javascript(client, alice):
    job = finished_job(alice, "talk.mp4", ["Some words."])
    client.force_login(alice)
    page = client.get(reverse("transcripts:segment-edit", args=[job.pk, 0]))
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = client.post(reverse("transcripts:segment-edit", args=[job.pk, 0]), {"text": ""})
    assert response.status_code == 400


def test_it_hides_segment_pages_from_other_users(client, alice, bob):
    job = finished_job(alice, "talk.mp4", ["Private words."])
    segment = Segment.objects.get(transcript__job=job)
    client.force_login(bob)
    for name in ("segment", "segment-edit", "segment-history"):
        response = client.get(reverse(f"transcripts:{name}", args=[job.pk, 0]))
        assert response.status_code == 404 and b"Private" not in response.content
    assert (
        client.post(
            reverse("transcripts:segment-edit", args=[job.pk, 0]), {"text": "x"}
        ).status_code
        == 404
    )
    segment.refresh_from_db()
    assert segment.text == "Private words."


def test_it_gives_staff_a_working_admin(client, staff, alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    run_job(str(job.pk))
    client.force_login(staff)
    for url in (
        reverse("admin:jobs_job_changelist"),
        reverse("admin:jobs_job_change", args=[job.pk]),
        reverse("admin:jobs_job_changelist") + "?status__exact=succeeded&q=jfk",
        reverse("admin:transcripts_transcript_change", args=[job.transcript.pk]),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[alice.pk]),
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        reverse("admin:jobs_job_changelist"),
        {"action": "retry_jobs", "_selected_action": [job.pk]},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED  # a finished job is not retried
    client.post(reverse("admin:jobs_job_changelist"),
                {"action": "delete_jobs_with_files", "_selected_action": [job.pk]})  # fmt: skip
    assert not Job.objects.filter(pk=job.pk).exists()


def test_it_shows_clips_in_the_admin(client, staff, alice):
    from tests.factories import add_clip

    job = finished_job(alice, "talk.mp4", ["Hello."])
    clip = add_clip(job, 0, data=b"not really an mp4")
    clip.title = "Why leaves are green"
    clip.save()
    client.force_login(staff)

    on_job = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "Why leaves are green" in on_job and clip.file.name in on_job
    listing = client.get(reverse("admin:jobs_clip_changelist")).content.decode()
    assert (
        "Why leaves are green" in listing
        and reverse("admin:jobs_job_change", args=[job.pk]) in listing
    )
    assert client.get(reverse("admin:jobs_clip_change", args=[clip.pk])).status_code == 200
    assert client.get(reverse("admin:jobs_clip_add")).status_code == 403
