from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from jobs.intake import rules
from jobs.models import Job
from jobs.tasks import run_job
from tests.conftest import JFK_TEXT
from tests.factories import job_from_file
from tests.wer import wer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/talk.mp4",
        "http://127.0.0.1/talk.mp4",
        "http://localhost:8000/",
        "http://10.0.0.1/talk.mp4",
        "http://192.168.1.10/talk.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/talk.mp4",
        "http://[::ffff:127.0.0.1]/talk.mp4",
        "http://user:pw@example.org/talk.mp4",
        "http://0.0.0.0/",
    ],
)
def test_it_refuses_links_to_internal_addresses(url, settings):
    settings.URL_ALLOWLIST = []
    with pytest.raises(rules.UnsafeURL):
        rules.validate_url(url)


def test_it_transcribes_a_link_from_an_allowed_loopback_site(
    alice, media_site, speech_video, settings
):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    shutil.copy(speech_video, media_site.root / "lecture.mp4")
    from jobs import services

    job = services.job_create(owner=alice, url=media_site.url_for("lecture.mp4"))
    assert job.source_kind == Job.Source.URL and job.status == Job.Status.QUEUED

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    job.refresh_from_db()
    assert job.media.name.startswith(f"jobs/{job.pk}/source")
    assert job.has_video and job.duration == pytest.approx(11, abs=0.5)
    assert wer(JFK_TEXT, job.transcript.text) <= 0.10


def test_it_fails_a_link_job_when_the_allowlist_no_longer_covers_it(alice, media_site, settings):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    from jobs import services

    job = services.job_create(owner=alice, url=media_site.url_for("jfk.wav"))
    settings.URL_ALLOWLIST = []

    assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert "private or internal network address" in job.error
    assert not list(Path(settings.MEDIA_ROOT).rglob("source.*"))


def test_it_refuses_a_redirect_to_an_internal_host(alice, media_site, second_site, settings):
    # 127.0.0.2 is allowed; it redirects to 127.0.0.1, which is not.
    settings.URL_ALLOWLIST = ["127.0.0.2/32:*"]
    second_site.redirects["/talk.wav"] = media_site.url_for("jfk.wav")
    from jobs import services

    job = services.job_create(owner=alice, url=second_site.url_for("talk.wav"))
    assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert "internal" in job.error


def test_it_explains_a_page_without_media(alice, media_site, settings):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    from jobs import services

    job = services.job_create(owner=alice, url=media_site.url_for("about.html"))
    assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == "This page has no video or audio that Lectern can download."


def test_it_stops_a_download_over_the_size_limit(alice, media_site, settings):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    settings.MAX_UPLOAD_MB = 0.1  # the 344 kB wav is over this
    from jobs import services

    job = services.job_create(owner=alice, url=media_site.url_for("jfk.wav"))
    assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert "larger than the upload limit" in job.error


def test_it_transcribes_a_link_from_the_command_line(media_site, settings, capsys):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    call_command("transcribe", media_site.url_for("jfk.wav"), "--format", "txt", "--no-progress")
    assert wer(JFK_TEXT, capsys.readouterr().out) <= 0.10

    settings.URL_ALLOWLIST = []
    with pytest.raises(CommandError, match="private or internal"):
        call_command("transcribe", media_site.url_for("jfk.wav"))


def test_it_makes_one_job_per_file_and_link_in_a_batch(
    client, alice, password, media_site, jfk_wav, settings
):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    client.force_login(alice)
    with open(jfk_wav, "rb") as first, open(media_site.root / "pattern.mp4", "rb") as second:
        response = client.post(
            reverse("jobs:create"),
            {"media": [first, second], "urls": media_site.url_for("jfk.wav") + "\n\n",
             "language": "auto", "task": "transcribe", "highlights": "no"},
        )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/"
    jobs = list(Job.objects.filter(owner=alice))
    assert len(jobs) == 3
    assert len({job.batch for job in jobs}) == 1 and jobs[0].batch is not None
    assert {job.source_kind for job in jobs} == {"upload", "url"}
    assert all(job.highlights is False for job in jobs)
    dashboard = client.get("/").content.decode()
    assert dashboard.count('class="in-batch"') == 3 and "Batch added" in dashboard


def test_it_shows_link_errors_on_the_form(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("jobs:create"),
        {"urls": "http://169.254.169.254/latest\nfile:///etc/passwd", "language": "auto",
         "task": "transcribe", "highlights": "auto"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "private or internal network address" in page
    assert "Only http:// and https:// links" in page
    assert not Job.objects.exists()


def test_it_asks_for_a_file_or_a_link(client, alice):
    client.force_login(alice)
    response = client.post(reverse("jobs:create"), {"language": "auto", "task": "transcribe"})
    assert response.status_code == 400
    assert "Choose a file to upload or paste a link." in response.content.decode()


def test_it_enqueues_from_the_shell(alice, jfk_wav, media_site, settings, capsys):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    call_command(
        "enqueue", str(jfk_wav), media_site.url_for("jfk.wav"), "--user", "alice", "--highlights"
    )
    ids = capsys.readouterr().out.split()
    assert len(ids) == 2
    jobs = Job.objects.filter(pk__in=ids)
    assert jobs.count() == 2 and all(job.highlights for job in jobs)
    with pytest.raises(CommandError, match="No user named"):
        call_command("enqueue", str(jfk_wav), "--user", "nobody")


@pytest.mark.scaleout  # the cache query, on PostgreSQL too
def test_it_reuses_a_transcript_of_identical_media_without_revealing_whose(
    client, alice, bob, jfk_wav
):
    first = job_from_file(alice, jfk_wav, name="kennedy.wav")
    assert run_job(str(first.pk)) == Job.Status.SUCCEEDED

    # Bob's upload of the same bytes is queued like any other: no instant answer, no message.
    client.force_login(bob)
    response = client.post(
        reverse("jobs:create"),
        {"media": _upload("speech.wav", jfk_wav), "language": "auto", "task": "transcribe",
         "highlights": "no", "clip_layout": "vertical"},
        follow=True,
    )  # fmt: skip
    second = Job.objects.get(owner=bob)
    assert second.status == Job.Status.QUEUED and not second.cached_from_hash
    assert "transcribed before" not in response.content.decode()
    # The worker reuses the words (same bytes, model, options and prompt) into Bob's own copy.
    assert run_job(str(second.pk)) == Job.Status.SUCCEEDED
    second.refresh_from_db()
    assert second.cached_from_hash
    assert second.transcript.pk != first.transcript.pk
    assert second.transcript.text == first.transcript.text
    assert second.transcript.segments.count() == first.transcript.segments.count()
    page = client.get(second.get_absolute_url()).content.decode()
    assert "kennedy" not in page and "alice" not in page and "transcribed before" not in page

    # Other options, other transcript: no reuse.
    german = job_from_file(bob, jfk_wav, language="de")
    assert german.status == Job.Status.QUEUED and not german.cached_from_hash


def _upload(name, path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, path.read_bytes())


@pytest.mark.scaleout  # the cache query, on PostgreSQL too
def test_it_reuses_only_a_transcript_made_with_the_same_prompt(alice, bob, jfk_wav):
    """The title's rare words are Whisper's prompt, which shapes the segmentation."""
    first = job_from_file(alice, jfk_wav, title="Inaugural address: Kennedy, Khrushchev, Berlin")
    assert run_job(str(first.pk)) == Job.Status.SUCCEEDED
    assert first.transcript.prompt_sha256  # the title made a prompt

    untitled = job_from_file(bob, jfk_wav)
    assert run_job(str(untitled.pk)) == Job.Status.SUCCEEDED
    untitled.refresh_from_db()
    assert not untitled.cached_from_hash  # no prompt is not her prompt

    same_title = job_from_file(bob, jfk_wav, title=first.title)
    assert run_job(str(same_title.pk)) == Job.Status.SUCCEEDED
    same_title.refresh_from_db()
    assert same_title.cached_from_hash
    assert same_title.transcript.prompt_sha256 == first.transcript.prompt_sha256


def test_it_answers_an_owners_own_repeat_upload_at_once(client, alice, jfk_wav):
    first = job_from_file(alice, jfk_wav)
    assert run_job(str(first.pk)) == Job.Status.SUCCEEDED
    again = job_from_file(alice, jfk_wav)
    assert again.status == Job.Status.SUCCEEDED and again.cached_from_hash
    retitled = job_from_file(alice, jfk_wav, title="Berlin, Khrushchev")
    assert retitled.status == Job.Status.QUEUED  # another title, perhaps another prompt


@pytest.mark.scaleout  # the cache query, on PostgreSQL too
def test_it_never_hands_on_an_owners_edits(alice, bob, jfk_wav):
    from transcripts.services import segment_edit

    first = job_from_file(alice, jfk_wav)
    assert run_job(str(first.pk)) == Job.Status.SUCCEEDED
    segment = first.transcript.segments.first()
    assert segment_edit(segment=segment, text="Alice's private note", user=alice)

    second = job_from_file(bob, jfk_wav)
    assert second.status == Job.Status.QUEUED and not second.cached_from_hash
    assert run_job(str(second.pk)) == Job.Status.SUCCEEDED
    second.refresh_from_db()
    assert not second.cached_from_hash
    assert "private" not in second.transcript.text
    # Bob's own, unedited transcript is what the next upload of these bytes reuses (in the
    # worker: it is not Alice's own job).
    third = job_from_file(alice, jfk_wav)
    assert run_job(str(third.pk)) == Job.Status.SUCCEEDED
    third.refresh_from_db()
    assert third.cached_from_hash and third.transcript.text == second.transcript.text


def test_it_announces_a_job_finished_from_the_cache(alice, bob, jfk_wav):
    from django.core import mail
    from django_q.models import OrmQ

    from jobs.tasks import announce_job

    first = job_from_file(alice, jfk_wav)
    run_job(str(first.pk))
    mail.outbox.clear()
    second = job_from_file(alice, jfk_wav)
    assert second.cached_from_hash
    queued = [entry.task for entry in OrmQ.objects.all()]
    announcements = [t["args"] for t in queued if t["func"] == "jobs.tasks.announce_job"]
    assert announcements == [(str(second.pk),)]
    announce_job(str(second.pk))
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
