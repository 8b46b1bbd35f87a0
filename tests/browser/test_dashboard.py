"""The dashboard in a real browser: the job list follows its jobs without a reload, and the pages
fit a phone (390x844) without sideways scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.factories import finished_job, job_from_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_it_refreshes_the_job_list_until_no_job_is_active(
    page, alice, password, jfk_wav, worker, settings
):
    settings.LECTERN_MODEL = "tiny.en"
    job_from_file(alice, jfk_wav, title="Inaugural address")
    log_in(page, alice, password)
    row = page.locator("#job-list tr", has_text="Inaugural address")
    expect(row).to_contain_text("Queued")
    expect(row).to_contain_text("1st in the queue")
    expect(row).to_contain_text("left")
    page.evaluate(
        """() => {
          window.__sameDocument = true;
          window.__polls = 0;
          document.body.addEventListener('htmx:afterRequest', () => { window.__polls += 1; });
        }"""
    )

    worker.start()

    expect(row).to_contain_text("Succeeded", timeout=90_000)
    assert page.evaluate("window.__sameDocument") is True  # swapped in by htmx, no reload
    expect(row).not_to_contain_text("in the queue")
    # The answer without an active job stopped the polling (286).
    polls = page.evaluate("window.__polls")
    page.wait_for_timeout(4_000)
    assert page.evaluate("window.__polls") == polls
    expect(page.locator("#job-list")).not_to_have_attribute("hx-trigger", "every 3s")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"


def test_it_fits_the_dashboard_profile_and_job_page_on_a_phone(
    browser, live_server, alice, password
):
    job = finished_job(
        alice,
        "a-lecture-with-a-rather-long-file-name-recorded-in-room-101.mp4",
        ["Today we look at how leaves turn light into sugar, step by step.", "First, light."],
    )
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
        has_touch=True, device_scale_factor=2,
    )  # fmt: skip
    page = context.new_page()
    try:
        log_in(page, alice, password)
        header = page.locator(".site-header").bounding_box()
        assert header["height"] < 70, f"the header takes {header['height']}px: it wrapped"
        _fits(page)
        expect(page.locator("#job-list")).to_contain_text("Succeeded")
        screenshot(page, "phone-dashboard")
        page.goto("/accounts/profile/")
        _fits(page)
        screenshot(page, "phone-profile")
        page.goto(job.get_absolute_url())
        _fits(page)
        text = page.locator(".segment-text").first.bounding_box()
        assert text["width"] > 240, f"a transcript line gets {text['width']}px of 390"
        screenshot(page, "phone-job")
    finally:
        context.close()
