"""The layout check in a real browser: the boxes over a frame, a correction, the re-render."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from jobs.models import Clip
from tests.browser.conftest import log_in, screenshot
from tests.factories import laid_out_video_job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_it_shows_the_layout_and_renders_the_clips_again_after_a_correction(
    page,
    alice,
    password,
    split_video,
) -> None:
    from jobs.pages.layout_check import rerender_layout

    job = laid_out_video_job(alice, split_video)
    log_in(page, alice, password)
    page.goto(job.get_absolute_url())
    page.get_by_role("tab", name="Layout").click()
    check = page.locator("#layout-check")
    expect(check.locator("svg.layout-frame image")).to_be_visible()
    expect(check.locator("g.layout-box-screen rect")).to_be_visible()
    expect(check.locator("g.layout-box-camera rect")).to_be_visible()
    expect(check.locator(".layout-kind")).to_have_text("slides and camera")
    check.scroll_into_view_if_needed()
    screenshot(page, "layout-check")

    check.locator("summary", has_text="Correct the layout").click()
    page.get_by_label("Layout preset").select_option("slides-only")
    # The preset's boxes show over the frame before anything is applied.
    expect(check.locator("#layout-preview rect")).to_have_count(1)
    expect(check.locator("#layout-preview-note")).to_contain_text("Preview of “Slides only”")
    assert Clip.objects.get(job=job).layout != "slides"
    screenshot(page, "layout-check-preview")
    page.get_by_role("button", name="Save and render the clips again").click()
    expect(page.locator("#layout-check progress")).to_be_visible()
    screenshot(page, "layout-check-rerendering")

    # A worker renders the clips; the polling section then reloads the page.
    worker = threading.Thread(target=rerender_layout, args=(str(job.pk),))
    worker.start()
    worker.join(timeout=120)
    expect(page.locator("#layout-check .layout-done")).to_be_visible(timeout=30_000)
    expect(page.locator("#layout-check .layout-kind")).to_have_text("slides only")
    assert Clip.objects.get(job=job).layout == "slides"
    screenshot(page, "layout-check-corrected")
