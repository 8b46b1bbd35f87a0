"""The small leaks: exports that inject, media served as a page, headers from titles, ffmpeg's
words in messages, unexplained stream links, world-readable files, /metrics behind a proxy."""

from __future__ import annotations

import email
import re
import stat
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from jobs.intake.download import STREAM_MESSAGE, DownloadError, download
from jobs.intake.urlsafety import Allowlist
from jobs.models import Job
from jobs.pipeline.notifications import notify_job_finished
from jobs.tasks import run_job
from tests.factories import job_from_bytes, job_from_file
from tests.servers import FileServer
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = "<script>alert(1)</script> a --> b & <i>c</i>"


@pytest.fixture
def hostile_job(alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, stage=Job.Stage.DONE)
    transcript = Transcript.objects.create(job=job, language="en", duration=11, text=HOSTILE)
    Segment.objects.create(
        transcript=transcript, index=0, start=0, end=4, text=HOSTILE, speaker="S1",
        words=[{"start": 0, "end": 4, "word": HOSTILE, "speaker": "S1"}],
    )  # fmt: skip
    Segment.objects.create(
        transcript=transcript, index=1, start=5, end=9,
        text="line\n\n2\n00:00:01,000 --> 00:00:02,000\ninjected cue",
        words=[],
    )  # fmt: skip
    job.speaker_names = {"S1": 'Eve --> <b>"&'}
    job.save(update_fields=["speaker_names"])
    return Job.objects.get(pk=job.pk)


TIMING = re.compile(r"^\d\d:\d\d:\d\d[.,]\d{3} --> \d\d:\d\d:\d\d[.,]\d{3}$")


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_it_escapes_markup_and_arrows_in_subtitle_exports(client, alice, hostile_job, fmt):
    client.force_login(alice)
    body = client.get(reverse("jobs:export", args=[hostile_job.pk, fmt])).content.decode()
    assert "<script>" not in body and "<i>" not in body and "<b>" not in body
    # Every "-->" is a timing line: no cue text or speaker name can start a cue of its own.
    assert [line for line in body.splitlines() if "-->" in line and not TIMING.match(line)] == []
    assert "injected cue" in body  # the text is kept, as text
    # Every block is a whole cue (a number, a timing line, text): nothing split one open.
    blocks = body.strip().split("\n\n")[1 if fmt == "vtt" else 0 :]
    for block in blocks:
        number, timing, *text = block.split("\n")
        assert number.isdigit() and TIMING.match(timing) and text, block
    if fmt == "vtt":
        voices = re.findall(r"<v ([^>]*)>", body)
        assert voices == ['Eve --&gt; &lt;b&gt;"&amp;']
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("redirect", None),
        ("rtsp.html", '<video src="rtsp://127.0.0.1:1/live.sdp"></video>'),
        ("mms.html", '<video src="mms://127.0.0.1:1/talk.wmv"></video>'),
    ],
)
def test_it_explains_a_link_to_an_rtsp_or_mms_stream(tmp_path, path, page):
    if page:
        (tmp_path / path).write_text(f"<html><body>{page}</body></html>")
    redirects = {"/redirect": "rtsp://127.0.0.1:1/lecture"}
    with (
        FileServer(tmp_path, redirects=redirects) as server,
        pytest.raises(DownloadError) as caught,
    ):
        download(
            server.url_for(path), tmp_path / "out",
            allowlist=Allowlist.parse(["127.0.0.1:*"]), max_bytes=10**8,
        )  # fmt: skip
    assert str(caught.value) == STREAM_MESSAGE


MEDIA_TYPES = [
    # (name the user gave, what the bytes are, Content-Type served, inline?)
    ("page.html", "jfk", "audio/wav", True),
    ("evil.js", "jfk", "audio/wav", True),
    ("talk.mp4", "jfk", "audio/wav", True),
    ("page.html", "html", "application/octet-stream", False),
    ("evil.js", "html", "application/octet-stream", False),
    ('x"; filename="evil.html.wav', "html", "application/octet-stream", False),
]


@pytest.mark.parametrize(("name", "content", "served", "inline"), MEDIA_TYPES)
@pytest.mark.parametrize("ranged", [False, True])
def test_it_serves_uploaded_media_by_its_probed_type(
    client, alice, jfk_wav, name, content, served, inline, ranged
):
    data = jfk_wav.read_bytes() if content == "jfk" else b"<script>alert(document.cookie)</script>"
    job = job_from_bytes(alice, name, data)
    client.force_login(alice)
    headers = {"HTTP_RANGE": "bytes=0-99"} if ranged else {}
    response = client.get(reverse("jobs:media", args=[job.pk]), **headers)
    assert response.status_code == (206 if ranged else 200)
    assert response["Content-Type"] == served
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline" if inline else "attachment")
    # One header, one file name, whatever quotes the user put in it.
    parsed = email.message_from_string(f"Content-Disposition: {disposition}\n\n")
    assert parsed.get_filename() in (job.original_name, None)
    assert "\r" not in disposition and "\n" not in disposition


def test_it_sends_the_email_for_a_title_with_a_line_break(alice):
    job = job_from_bytes(alice, "talk.wav", b"x", title="Week 3\r\nBcc: everyone@example.com")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    job.refresh_from_db()
    assert notify_job_finished(job)
    (message,) = mail.outbox
    assert message.subject == "Lectern: Week 3 Bcc: everyone@example.com is ready"
    assert message.recipients() == ["alice@example.com"]
    assert message.message()["Bcc"] is None


def test_it_writes_no_world_readable_files(alice, jfk_wav, media_root):
    job = job_from_file(alice, jfk_wav, highlights=False)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    made = list(job.media_path().rglob("*"))
    assert made and all(not stat.S_IMODE(p.stat().st_mode) & 0o007 for p in made), [
        (p.name, oct(p.stat().st_mode)) for p in made
    ]
    database = Path(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        assert not stat.S_IMODE(database.stat().st_mode) & 0o007


def test_it_asks_for_a_token_or_staff_behind_a_proxy_on_this_host(client, settings, staff):
    settings.LECTERN_METRICS_TOKEN = ""
    settings.BEHIND_PROXY = True
    # A plain reverse proxy on this host: loopback, no forwarding header.
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    client.force_login(staff)
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    settings.LECTERN_METRICS_TOKEN = "s3cret-token"
    client.logout()
    settings.BEHIND_PROXY = False
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200
