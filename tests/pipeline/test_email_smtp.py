"""The job email through a real SMTP server on 127.0.0.1 (aiosmtpd), read back as it arrived: one per
job, or one per batch of jobs submitted together."""

from __future__ import annotations

import pytest

from jobs import services
from jobs.models import Job
from jobs.pipeline.notifications import notify_job_finished
from jobs.tasks import announce_batch, run_job
from tests.factories import job_from_bytes, job_from_file, upload
from tests.servers import SMTPInbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp_inbox(settings):
    with SMTPInbox() as inbox:
        inbox.use_in(settings)
        settings.BASE_URL = "https://lectern.example.org"
        yield inbox


def test_it_sends_html_and_text_through_smtp(alice, jfk_wav, smtp_inbox):
    job = job_from_file(alice, jfk_wav, title="Inaugural address")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    assert len(smtp_inbox.messages) == 1
    message = smtp_inbox.messages[0]
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Lectern: Inaugural address is ready"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"https://lectern.example.org/jobs/{job.pk}/"
    assert link in text and f'href="{link}"' in html
    assert "Inaugural address" in text and "<strong>Inaugural address</strong>" in html


def test_it_tells_the_owner_why_a_job_failed(alice, smtp_inbox):
    job = job_from_bytes(alice, "notes.mp4", b"plain text, not a video")
    assert run_job(str(job.pk)) == Job.Status.FAILED

    message = smtp_inbox.messages[0]
    assert message["Subject"] == "Lectern: notes.mp4 failed"
    assert "not a recognised audio or video format" in message.get_body(("plain",)).get_content()


def test_it_sends_one_email_for_a_batch_when_its_last_job_ends(
    alice, jfk_wav, smtp_inbox, settings
):
    settings.LECTERN_MODEL = "tiny.en"
    speech, notes = services.job_create_batch(
        owner=alice,
        uploads=[
            upload("jfk.wav", jfk_wav.read_bytes()),
            upload("notes.mp4", b"plain text, not a video"),
        ],
    )
    assert speech.batch == notes.batch is not None

    assert run_job(str(speech.pk)) == Job.Status.SUCCEEDED
    assert smtp_inbox.messages == []  # its batch is not over yet
    assert run_job(str(notes.pk)) == Job.Status.FAILED

    (message,) = smtp_inbox.messages
    assert message["Subject"] == "Lectern: 1 of your 2 recordings are ready, 1 failed"
    text = message.get_body(("plain",)).get_content()
    assert "jfk.wav: ready" in text and "notes.mp4: failed" in text
    for job in (speech, notes):
        assert f"https://lectern.example.org/jobs/{job.pk}/" in text
    # The same ending told twice (a queue delivering twice, a second worker) sends nothing more.
    notes.refresh_from_db()
    assert not notify_job_finished(notes)
    assert len(smtp_inbox.messages) == 1


def test_it_sends_the_batch_email_when_its_last_job_is_cancelled(alice, smtp_inbox):
    done, waiting = services.job_create_batch(
        owner=alice, uploads=[upload("a.mp4", b"not media"), upload("b.mp4", b"not media")]
    )
    assert run_job(str(done.pk)) == Job.Status.FAILED
    assert smtp_inbox.messages == []
    assert services.job_cancel(job=waiting)
    announce_batch(str(waiting.pk))  # what the cancel queued for a worker

    (message,) = smtp_inbox.messages
    assert message["Subject"] == "Lectern: a.mp4 failed"  # the one job that ran, on its own
