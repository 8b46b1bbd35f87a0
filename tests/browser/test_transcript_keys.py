"""Working in a transcript from the keyboard: one line a sentence, shortcuts, playback speed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jobs.models import Job
from jobs.tasks import run_job
from tests.browser.conftest import log_in, screenshot
from tests.factories import job_from_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_it_moves_line_by_line_and_changes_speed_from_the_keyboard(
    page, alice, password, lecture_speech, settings
):
    settings.LECTERN_MODEL = "tiny.en"
    job = job_from_file(alice, lecture_speech.path, name="lecture.wav")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    starts = [s.start for s in job.transcript.segments.order_by("index")]
    # One line a sentence: the lecture's three paragraphs (12 sentences) are not three walls of text.
    assert len(starts) >= 9

    log_in(page, alice, password)
    page.goto(job.get_absolute_url())
    expect(page.locator("ol.transcript .segment").first).to_be_visible()
    player = page.locator("#player")
    page.wait_for_function("document.getElementById('player').readyState >= 1")

    for _ in range(3):  # the first line (it starts after 0:00), then the next two
        page.locator("body").press("n")
    assert player.evaluate("p => p.currentTime") == pytest.approx(starts[2], abs=0.05)
    page.locator("body").press("p")  # previous line
    assert player.evaluate("p => p.currentTime") == pytest.approx(starts[1], abs=0.05)
    page.locator("body").press("l")  # forward 5 s
    assert player.evaluate("p => p.currentTime") == pytest.approx(starts[1] + 5, abs=0.05)
    page.locator("body").press("j")  # back 5 s
    assert player.evaluate("p => p.currentTime") == pytest.approx(starts[1], abs=0.05)

    # The word being spoken is marked within its line, and the line reads as its text.
    line = job.transcript.segments.order_by("index")[1]
    word = line.words[2]
    player.evaluate(f"p => {{ p.currentTime = {(word['start'] + word['end']) / 2}; }}")
    spoken = page.locator(f"#segment-{line.index}.current .spoken-word")
    expect(spoken).to_have_text(word["word"].strip())
    expect(page.locator(f"#segment-{line.index} .segment-text")).to_have_text(line.text.strip())
    assert page.locator(".spoken-word").count() == 1

    page.get_by_label("Speed").select_option("1.5")
    assert player.evaluate("p => p.playbackRate") == 1.5
    page.locator("body").press("k")  # play
    page.wait_for_function("!document.getElementById('player').paused")
    # Alt+K works while typing in a field too; a bare k there is just a letter.
    page.locator("body").press("Alt+k")
    page.wait_for_function("document.getElementById('player').paused")
    # Far down the transcript, the player is still in view (sticky on a wide screen).
    page.set_viewport_size({"width": 1280, "height": 620})
    last = page.locator("ol.transcript .segment").last
    last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 200  # the page did scroll past the player's place
    box = player.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 620
    screenshot(page, "transcript-keys")
