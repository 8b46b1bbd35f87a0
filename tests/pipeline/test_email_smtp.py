"""The job email through a real SMTP server on 127.0.0.1 (aiosmtpd), read back as it arrived."""

from __future__ import annotations

import pytest

from jobs.models import Job
from jobs.tasks import run_job
from tests.factories import job_from_bytes, job_from_file
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
