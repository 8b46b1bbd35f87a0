"""The job email through a real SMTP server on 127.0.0.1 (aiosmtpd), read back as it arrived."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller

from jobs.models import Job
from jobs.tasks import run_job
from tests.jobs.factories import job_from_bytes, job_from_file

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.BASE_URL = "https://lectern.example.org"
    try:
        yield inbox
    finally:
        controller.stop()


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
