"""Every page a user meets, on a phone (390x844, touch): nothing wider than the screen, the header
on one line, controls big enough for a thumb, and the job list within reach on the dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.factories import add_clip, finished_job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WIDTH, HEIGHT = 390, 844
# WCAG 2.2, 2.5.8 (target size, minimum): 24 by 24 CSS pixels. Links inside running text are
# exempt there, so only controls and links that stand alone are measured.
TARGET = 24

_SMALL_TARGETS = """(minimum) => {
  const small = [];
  const controls = document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, summary, ' +
    'nav a, .button, .segment-tools a, .timestamp, .form-actions a');
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label') || document.querySelector(`label[for="${el.id}"]`);
      const target = label ? label.getBoundingClientRect() : box;
      if (target.height < minimum) small.push(`${el.outerHTML.slice(0, 80)} (${target.height}px)`);
      continue;
    }
    if (box.height < minimum || box.width < minimum) {
      small.push(`${el.outerHTML.slice(0, 80)} (${Math.round(box.width)}x${Math.round(box.height)})`);
    }
  }
  return small;
}"""


def _check(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width}px wide on a {WIDTH}px screen"
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 70, f"{page.url}: the header wrapped"
    small = page.evaluate(_SMALL_TARGETS, TARGET)
    assert small == [], f"{page.url}: controls under {TARGET}px: {small}"
    screenshot(page, f"phone-{name}")


def test_every_page_works_on_a_phone(browser, live_server, alice, password) -> None:
    job = finished_job(
        alice,
        "a-lecture-with-a-rather-long-file-name-recorded-in-room-101.mp4",
        ["Today we look at how leaves turn light into sugar, step by step.", "First, light."],
    )
    add_clip(job, 1)
    for number in range(6):  # a dashboard with some history
        finished_job(alice, f"seminar-{number}.mp3", ["Photosynthesis again."])
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True,
        has_touch=True, device_scale_factor=2,
    )  # fmt: skip
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        _check(page, "login")
        log_in(page, alice, password)
        _check(page, "dashboard")
        # The upload form, its button included, fits the first screen (its options fold away),
        # so the job list is not pushed down by screens of settings.
        button = page.get_by_role("button", name="Upload and transcribe").bounding_box()
        assert button is not None and button["y"] + button["height"] < HEIGHT, button
        page.get_by_text("Options").click()
        expect(page.get_by_label("Language")).to_be_visible()
        _check(page, "dashboard-options")
        page.goto("/?q=leaves")
        expect(page.locator("main")).to_contain_text("leaves")
        _check(page, "search")
        page.goto("/accounts/profile/")
        _check(page, "profile")
        page.goto(job.get_absolute_url())
        _check(page, "job")
        # The transcript comes right under the mini-player, the other sections one tap away.
        heading = page.locator("#transcript-heading").bounding_box()
        assert heading is not None and 0 <= heading["y"] < HEIGHT - 100, heading
        page.get_by_role("tab", name="Study notes").click()
        expect(page.locator("#study-notes")).to_be_visible()
        _check(page, "job-notes")
        page.get_by_role("tab", name="Transcript").click()
        # Editing is a long-press away (a tap on a line seeks).
        page.locator("#segment-0").dispatch_event("contextmenu")
        page.get_by_role("link", name="Edit the segment at 0:00").click()
        expect(page.locator("textarea")).to_be_visible()
        _check(page, "segment-edit")
        page.locator("textarea").fill("Today we look at how leaves turn light into sugar.")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#segment-0")).to_contain_text("into sugar.")
        page.goto(f"/jobs/{job.pk}/segments/0/history/")
        _check(page, "history")
        page.goto(f"/jobs/{job.pk}/delete/")
        _check(page, "delete")
    finally:
        context.close()
