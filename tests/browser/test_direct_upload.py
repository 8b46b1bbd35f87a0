"""The upload form's own script in a real browser: the file goes to the bucket (a signed POST,
under the page's Content-Security-Policy), the bar shows progress, then the job is made; the job
page's player then plays from a signed URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jobs.models import Job
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_it_uploads_straight_to_the_bucket_with_a_progress_bar(
    page,
    alice,
    password,
    bucket,
    jfk_wav,
    media_root,
):
    log_in(page, alice, password)
    sent: list[tuple[str, str]] = []
    page.on("request", lambda request: sent.append((request.method, request.url)))
    page.locator("#id_media").set_input_files(str(jfk_wav))
    page.get_by_role("button", name="Upload and transcribe").click()
    page.wait_for_url("**/jobs/*/")

    job = Job.objects.get(owner=alice)
    assert ("POST", f"{bucket.endpoint}/{bucket.name}") in [
        (method, url.rstrip("/")) for method, url in sent
    ]
    assert job.media.name == f"jobs/{job.pk}/source.wav" and job.original_name == "jfk.wav"
    assert bucket.read(job.media.name) == jfk_wav.read_bytes()
    assert bucket.keys("uploads/") == []
    assert not any(path.is_file() for path in media_root.rglob("*"))

    # The progress bar was shown and filled (the page is gone; the requests tell the order).
    starts = [url for method, url in sent if method == "POST" and url.endswith("/jobs/uploads/")]
    assert len(starts) == 1


def test_it_shows_the_bar_while_the_file_goes_up(page, alice, password, bucket, tmp_path):
    log_in(page, alice, password)
    # Hold the bucket's answer, to look at the bar while the upload is in flight.
    held = []
    page.route(f"{bucket.endpoint}/**", lambda route: held.append(route))
    media = tmp_path / "talk.mp3"
    media.write_bytes(b"ID3" + b"\0" * 200_000)
    page.locator("#id_media").set_input_files(str(media))
    page.get_by_role("button", name="Upload and transcribe").click()
    expect(page.locator(".upload-progress")).to_be_visible()
    expect(page.locator(".upload-progress [role=status]")).to_contain_text("Uploading talk.mp3")
    expect(page.get_by_role("button", name="Upload and transcribe")).to_be_disabled()
    for _ in range(100):  # Playwright hands the held request over while it waits
        if held:
            break
        page.wait_for_timeout(100)
    assert held and held[0].request.method == "POST"
    held[0].continue_()
    page.wait_for_url("**/jobs/*/")
    assert Job.objects.filter(owner=alice, original_name="talk.mp3").exists()
