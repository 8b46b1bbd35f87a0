"""The core flows in a real browser: upload, live progress, transcript, seek, edit, cancel."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from jobs.models import Job
from tests.browser.conftest import log_in, screenshot
from tests.conftest import JFK_TEXT
from tests.wer import wer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _upload(page, path) -> None:
    page.locator("#id_media").set_input_files(str(path))
    page.get_by_role("button", name="Upload and transcribe").click()
    page.wait_for_url("**/jobs/*/")


def _until(page, condition: str, timeout: float = 20) -> None:
    """Poll ``condition`` from here: the page's CSP (script-src 'self') refuses the eval that
    wait_for_function uses once its first check is false."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, f"still false: {condition}"
        page.wait_for_timeout(100)


def test_it_uploads_jfk_and_shows_the_transcript_without_a_reload(
    page, alice, password, jfk_wav, worker
):
    log_in(page, alice, password)
    expect(page.get_by_role("heading", name="Transcribe a recording")).to_be_visible()
    _upload(page, jfk_wav)
    expect(page.locator("#job-progress")).to_contain_text("Queued")
    page.evaluate("window.__sameDocument = true")

    worker.start()

    expect(page.locator("ol.transcript .segment").first).to_be_visible(timeout=90_000)
    assert page.evaluate("window.__sameDocument") is True  # htmx swapped it in; no reload
    expect(page.locator("#job-progress")).to_contain_text("Succeeded")
    # The actions follow the state: no Cancel on a finished job, Delete instead.
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.locator("#job-actions").get_by_text("Delete")).to_be_visible()
    text = page.locator("ol.transcript").inner_text()
    assert wer(JFK_TEXT, " ".join(page.locator(".segment-text").all_inner_texts())) <= 0.10, text
    screenshot(page, "job-transcript")


def test_it_advances_the_progress_bar_while_the_job_runs(
    page, alice, password, lecture_speech, worker, tmp_path
):
    lecture = tmp_path / "lecture.wav"
    shutil.copy(lecture_speech.path, lecture)
    log_in(page, alice, password)
    _upload(page, lecture)
    # Record every progress value the page shows, from inside the page.
    page.evaluate(
        """() => {
          window.__seen = [];
          window.__sameDocument = true;
          setInterval(() => {
            const bar = document.querySelector('#job-progress progress');
            if (bar) window.__seen.push(Number(bar.value));
          }, 100);
        }"""
    )
    worker.start()
    expect(page.locator("ol.transcript .segment").first).to_be_visible(timeout=120_000)
    seen = page.evaluate("window.__seen")
    assert page.evaluate("window.__sameDocument") is True
    middle = [value for value in seen if 0 < value < 100]
    assert middle, f"no progress between 0 and 100 was shown: {sorted(set(seen))}"
    assert seen == sorted(seen), "progress went backwards"


def test_it_seeks_the_player_to_a_clicked_segment(
    page, alice, password, lecture_speech, worker, tmp_path
):
    lecture = tmp_path / "lecture.wav"
    shutil.copy(lecture_speech.path, lecture)
    log_in(page, alice, password)
    _upload(page, lecture)
    worker.start()
    segments = page.locator("ol.transcript .segment")
    expect(segments.nth(3)).to_be_visible(timeout=120_000)
    _until(page, "document.getElementById('player').readyState >= 1")

    target = segments.nth(3)
    start = float(target.get_attribute("data-start"))
    target.locator(".segment-text").click()

    _until(page, f"Math.abs(document.getElementById('player').currentTime - {start}) < 1.5")
    expect(target).to_have_class("segment current")


def test_it_edits_a_segment_and_the_srt_has_the_edit(page, alice, password, jfk_wav, worker):
    log_in(page, alice, password)
    _upload(page, jfk_wav)
    worker.start()
    first = page.locator("ol.transcript .segment").first
    expect(first).to_be_visible(timeout=90_000)

    first.get_by_role("link", name="Edit").click()
    editor = page.locator("ol.transcript textarea").first
    expect(editor).to_be_focused()
    editor.fill("And so, my fellow citizens of the world, ask what we can do together.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("ol.transcript .segment").first).to_contain_text(
        "fellow citizens of the world"
    )
    screenshot(page, "job-edited-segment")

    page.locator("details.downloads-menu summary").click()  # the one menu of downloads
    with page.expect_download() as download:
        page.get_by_role("link", name="SRT").click()
    srt = Path(download.value.path()).read_text(encoding="utf-8")
    assert "citizens" in srt and "world" in srt
    assert "-->" in srt


def test_it_cancels_a_queued_job(page, alice, password, jfk_wav):
    log_in(page, alice, password)
    _upload(page, jfk_wav)
    expect(page.locator("#job-progress")).to_contain_text("Queued")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#job-progress")).to_contain_text("Cancelled")
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    assert Job.objects.get(owner=alice).status == Job.Status.CANCELLED


def test_it_works_without_javascript(page_without_js, alice, password, jfk_wav, worker):
    page = page_without_js
    log_in(page, alice, password)
    page.locator("#id_media").set_input_files(str(jfk_wav))
    page.get_by_role("button", name="Upload and transcribe").click()
    page.wait_for_url("**/jobs/*/")
    assert "Queued" in page.locator("#job-progress").inner_text()
    worker.start()
    for _ in range(90):
        page.reload()
        if page.locator("ol.transcript .segment").count():
            break
        page.wait_for_timeout(1000)
    assert "ask not what your country" in page.locator("ol.transcript").inner_text().lower()
    page.locator("details.downloads-menu summary").click()  # a <details>: no script needed
    with page.expect_download() as download:
        page.get_by_role("link", name="TXT").click()
    assert "ask not" in Path(download.value.path()).read_text(encoding="utf-8").lower()


def test_it_shows_a_clean_dashboard(page, alice, password, jfk_wav, worker):
    log_in(page, alice, password)
    _upload(page, jfk_wav)
    worker.start()
    expect(page.locator("ol.transcript .segment").first).to_be_visible(timeout=90_000)
    page.goto("/?q=country")
    expect(page.locator("ol.hits mark").first).to_be_visible()
    expect(page.locator("table.jobs")).to_contain_text("jfk.wav")
    screenshot(page, "dashboard")


@pytest.mark.slow
def test_it_shows_a_gallery_of_playable_clips(page, alice, password, lecture_video, settings):
    from jobs.tasks import run_job
    from tests.factories import job_from_file

    settings.LECTERN_MODEL = "tiny.en"
    settings.HIGHLIGHTS = {**settings.HIGHLIGHTS, "count": 2}
    job = job_from_file(alice, lecture_video.video, name="three-topics.mp4", title="Three topics")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    log_in(page, alice, password)
    page.goto(job.get_absolute_url())
    page.get_by_role("tab", name="Highlights").click()  # a tab beside the transcript
    clips = page.locator("ul.clips li.clip")
    expect(clips.first).to_be_visible()
    expect(page.locator("figure.timeline-figure svg[role=img]")).to_be_visible()
    expect(page.locator("details.chapters li").first).to_be_visible()
    video = clips.first.locator("video")
    page.wait_for_function(
        "v => { v.preload = 'metadata'; v.load(); return true; }", arg=video.element_handle()
    )
    page.wait_for_function("v => v.readyState >= 1 && v.duration >= 20", arg=video.element_handle())
    screenshot(page, "job-clips")
