"""The job page as people read it (issue 27): transcript first, a compact player beside it (wide)
or pinned above it (phone), every other section one tap away; every line seeks; axe finds nothing.

Measured at 1280x800, 1440x900 and 390x844 on a finished video job and a finished audio job.
"""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from jobs.models import Job
from tests.browser.conftest import ARTIFACTS, log_in
from tests.browser.test_axe import _violations
from tests.factories import laid_out_video_job
from tests.synth import SAMPLE_RATE, write_wav
from transcripts.models import Segment, Transcript

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

VIEWPORTS = [(1280, 800), (1440, 900), (390, 844)]
LINES = 40
SENTENCES = [
    "Plants capture light with a green pigment called chlorophyll.",
    "The energy of the light splits water into oxygen and hydrogen.",
    "The key point is that plants turn light into chemical energy.",
    "In seventeen eighty nine the people of Paris stormed a prison.",
]

# Every seek the page makes, recorded from inside it.
RECORD_SEEKS = """() => {
  window.__seeks = [];
  const player = document.getElementById('player');
  player.addEventListener('seeking', () => window.__seeks.push(player.currentTime));
}"""


def _lines(transcript: Transcript, first: int, start: float, step: float) -> None:
    for n in range(LINES):
        at = start + n * step
        Segment.objects.create(
            transcript=transcript, index=first + n, start=at, end=at + step * 0.9,
            text=f"{SENTENCES[n % len(SENTENCES)]} Line {first + n}.",
        )  # fmt: skip


def _video_job(owner, video) -> Job:
    """The laid-out lecture (12 s of slides beside a camera) with a long transcript."""
    job = laid_out_video_job(owner, video)
    _lines(job.transcript, 1, 7.6, 0.1)
    return job


def _audio_job(owner) -> Job:
    """A finished audio job: a quiet minute with forty lines, so that the player can seek anywhere."""
    job = Job.objects.create(
        owner=owner, original_name="seminar.wav", status=Job.Status.SUCCEEDED,
        stage=Job.Stage.DONE, progress=100, duration=61.0, backend="faster-whisper",
    )  # fmt: skip
    folder = job.media_path()
    folder.mkdir(parents=True, exist_ok=True)
    write_wav(folder / "seminar.wav", np.zeros(SAMPLE_RATE * 61, dtype=np.int16))
    job.media.name = f"{job.media_dir()}/seminar.wav"
    job.save()
    transcript = Transcript.objects.create(job=job, language="en", duration=61.0)
    _lines(transcript, 0, 0.5, 1.5)
    return job


def _free_top(page) -> float:
    """Where the screen is free of the pinned player: below it on a phone, 0 beside it."""
    return page.evaluate(
        """() => { const dock = document.getElementById('job-dock');
                   return getComputedStyle(dock).position === 'sticky'
                     ? Math.max(0, dock.getBoundingClientRect().bottom) : 0; }"""
    )


def _check_page(page, job: Job, width: int, height: int, name: str) -> None:
    page.goto(job.get_absolute_url())
    lines = page.locator("ol.transcript .segment")
    expect(lines.first).to_be_visible()
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    where = f"{name} at {width}x{height}"

    # The transcript's first line is on the first screen, in the free area.
    assert page.evaluate("window.scrollY") == 0
    first = lines.first.bounding_box()
    top = _free_top(page)
    assert first is not None and first["y"] >= top - 1 and first["y"] + first["height"] <= height, (
        f"{where}: first line at {first}, free from {top}"
    )
    # The player (and on a phone the whole pinned dock) covers at most 40 % of the screen.
    player = page.locator("#player").bounding_box()
    assert player is not None and player["height"] <= 0.4 * height, f"{where}: player {player}"
    assert player["width"] * player["height"] <= 0.4 * width * height, f"{where}: player {player}"
    if top:
        dock = page.locator("#job-dock").bounding_box()
        assert dock is not None and dock["height"] <= 0.4 * height, f"{where}: the dock {dock}"
        assert player["height"] <= 0.3 * height, f"{where}: the mini-player is {player}"
    if width >= 900:  # side by side: the transcript starts beside the player, not under it
        box = page.locator("#transcript").bounding_box()
        assert box is not None and box["x"] >= player["x"] + player["width"], f"{where}: {box}"

    # Any line seeks, far down too, and stays out from under the player once scrolled to.
    page.evaluate(RECORD_SEEKS)
    count = lines.count()
    for index in (0, count // 2, count - 1):
        line = lines.nth(index)
        line.locator(".segment-text").click()
        box = line.bounding_box()
        assert box is not None and box["y"] >= _free_top(page) - 1, f"{where}: line {index} {box}"
        start = float(line.get_attribute("data-start"))
        seeks = page.evaluate("window.__seeks")
        assert seeks and abs(seeks[-1] - start) < 0.05, f"{where}: line {index}: {seeks}"
        page.evaluate("document.getElementById('player').pause()")
    if top and name == "audio":
        # Playing from far down: the spoken line is brought into the free area, below the player.
        page.evaluate("window.scrollTo(0, 0)")
        line = lines.nth(count - 6)
        at = float(line.get_attribute("data-start"))
        page.evaluate(
            "t => { const p = document.getElementById('player'); p.currentTime = t; p.play(); }",
            at + 0.2,
        )
        expect(line).to_have_class("segment current")
        for _ in range(50):
            box = line.bounding_box()
            if box and box["y"] >= _free_top(page) - 1 and box["y"] + box["height"] <= height:
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError(f"{where}: the spoken line stays out of view at {box}")
        page.evaluate("document.getElementById('player').pause()")
    # The edit pencil is there for the keyboard, and quiet for the eye until then.
    edit = lines.nth(2).get_by_role("link", name="Edit the segment")
    assert float(edit.evaluate("e => getComputedStyle(e.parentElement).opacity")) == 0
    edit.focus()
    assert float(edit.evaluate("e => getComputedStyle(e.parentElement).opacity")) == 1

    edit.blur()
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    if width in (1280, 390):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = "phone" if width < 900 else "wide"
        page.screenshot(path=str(ARTIFACTS / f"job-page-{name}-{shot}.png"))
    assert _violations(page) == []


def test_the_transcript_comes_first_and_every_line_seeks(
    browser, live_server, alice, password, split_video
) -> None:
    jobs = {"video": _video_job(alice, split_video), "audio": _audio_job(alice)}
    for width, height in VIEWPORTS:
        phone = width < 900
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height},
            is_mobile=phone, has_touch=phone, bypass_csp=True,  # axe is injected inline
        )  # fmt: skip
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            log_in(page, alice, password)
            for name, job in jobs.items():
                _check_page(page, job, width, height, name)
        finally:
            context.close()


def test_the_sections_are_tabs_with_and_without_javascript(
    browser, live_server, page_without_js, alice, password, split_video
) -> None:
    job = _video_job(alice, split_video)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
        has_touch=True, bypass_csp=True,  # axe is injected inline
    )  # fmt: skip
    page = context.new_page()
    try:
        log_in(page, alice, password)
        page.goto(job.get_absolute_url())
        tabs = page.get_by_role("tablist")
        transcript = tabs.get_by_role("tab", name="Transcript")
        expect(transcript).to_have_attribute("aria-selected", "true")
        # One tap away: the notes replace the transcript under the mini-player, in place.
        page.evaluate("window.__sameDocument = true")
        tabs.get_by_role("tab", name="Study notes").click()
        expect(page.locator("#study-notes")).to_be_visible()
        expect(page.locator("#transcript")).to_be_hidden()
        assert page.evaluate("window.__sameDocument") is True
        assert "tab=notes" in page.url
        # The arrow keys move between tabs (and open them).
        page.keyboard.press("ArrowRight")
        expect(tabs.get_by_role("tab", name="Ask")).to_be_focused()
        expect(page.get_by_label("Your question")).to_be_visible()
        page.keyboard.press("Home")
        expect(transcript).to_be_focused()
        expect(page.locator("#transcript")).to_be_visible()
        # axe finds nothing in any section either (a hidden tab is not checked: each is opened).
        problems: list[str] = []
        for tab in tabs.get_by_role("tab").all():
            tab.click()
            problems += [f"{tab.inner_text()}: {found}" for found in _violations(page)]
        assert problems == []
        transcript.click()
        # A long-press shows the line's tools; a tap on the line seeks instead.
        page.locator("#segment-3").dispatch_event("contextmenu")
        expect(page.locator("#segment-3 .edit-link")).to_be_visible()
        page.locator("#segment-3 .edit-link").tap()
        expect(page.locator("#segment-3 textarea")).to_be_focused()
    finally:
        context.close()

    # Without JavaScript a tab is a link to the page with that section open.
    page = page_without_js
    log_in(page, alice, password)
    page.goto(job.get_absolute_url())
    expect(page.locator("#transcript")).to_be_visible()
    expect(page.locator("#study-notes")).to_be_visible()  # a wide screen: notes beside it
    page.get_by_role("tab", name="Layout").click()
    expect(page.locator("#layout-check")).to_be_visible()
    expect(page.locator("#study-notes")).to_be_hidden()
    expect(page.get_by_role("tab", name="Layout")).to_have_attribute("aria-selected", "true")
    # One menu holds the downloads; a transcript without speakers offers no RTTM.
    page.locator("details.downloads-menu summary").click()
    expect(page.get_by_role("link", name="SRT")).to_be_visible()
    expect(page.get_by_role("link", name="RTTM")).to_have_count(0)
