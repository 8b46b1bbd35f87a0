"""Study notes and the question box in a real browser: a moment of the notes or of an answer
seeks the player in place, and the answer comes without a reload."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.study.conftest import store_lecture
from tests.study.corpus import LECTURES
from tests.synth import SAMPLE_RATE, write_wav

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _seeked(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_it_seeks_from_the_notes_and_answers_in_place(page, alice, password):
    job, spans = store_lecture(alice, "Plant biology", LECTURES["Plant biology"])
    store_lecture(alice, "Geometry basics", LECTURES["Geometry basics"])
    # A quiet recording as long as the lecture, so that the player can seek anywhere in it.
    media = job.media_path() / "source.wav"
    write_wav(media, np.zeros(int(SAMPLE_RATE * (job.duration + 1)), dtype=np.int16))
    job.media.name = f"{job.media_dir()}/source.wav"
    job.save(update_fields=["media"])

    log_in(page, alice, password)
    page.goto(job.get_absolute_url())
    expect(page.locator("#study-notes h3", has_text="Glossary")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    term = page.locator(".study-glossary dd", has_text="Osmosis is defined").locator("a")
    wanted = float(term.get_attribute("data-start"))
    term.click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {wanted}) < 0.5"
    )

    page.get_by_role("tab", name="Ask").click()  # the question box is a tab of its own
    page.get_by_label("Your question").fill("What is transpiration?")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("#ask-answer")
    expect(answer).to_contain_text("This pull is called transpiration")
    assert page.evaluate("window.__sameDocument") is True  # swapped in by htmx
    cite = answer.locator("a.cite").first
    moment = float(cite.get_attribute("data-start"))
    start, end = spans["roots and water"]
    assert start <= moment <= end
    cite.click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {moment}) < 0.5"
    )
    assert abs(_seeked(page) - moment) < 0.5
    screenshot(page, "study-notes-and-answer")


def test_it_asks_all_my_lectures_without_javascript(page_without_js, alice, password):
    store_lecture(alice, "Geometry basics", LECTURES["Geometry basics"])
    page = page_without_js
    log_in(page, alice, password)
    page.get_by_label("Your question").fill("What is the hypotenuse?")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#ask-answer")).to_contain_text("is called the hypotenuse")
    link = page.locator("ol.passages a").first
    assert "/jobs/" in link.get_attribute("href") and "#t=" in link.get_attribute("href")
    screenshot(page, "study-ask-all-without-js")


def test_axe_finds_nothing_in_the_notes_the_answers_and_the_answer_page(
    browser, live_server, alice, password
):
    from tests.browser.test_axe import _violations

    job, _ = store_lecture(alice, "Plant biology", LECTURES["Plant biology"])
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)  # axe is inline
    page = context.new_page()
    problems: list[str] = []
    try:
        log_in(page, alice, password)
        page.goto(job.get_absolute_url())
        page.get_by_role("tab", name="Ask").click()
        page.get_by_label("Your question").fill("What is osmosis?")
        page.get_by_role("button", name="Ask").click()
        expect(page.locator("#ask-answer ol.passages")).to_be_visible()
        page.get_by_role("tab", name="Study notes").click()
        page.locator(".study-questions summary").first.click()  # an answer unfolded
        problems += _violations(page)
        # The answer as a page of its own (what a browser without JavaScript gets).
        page.goto("/")
        page.get_by_label("Your question").fill("What is osmosis?")
        with page.expect_navigation():  # form.submit() skips htmx's handler: a plain POST
            page.evaluate("document.querySelector('form.ask-form').submit()")
        expect(page.locator("#ask-answer")).to_contain_text("Osmosis is defined")
        problems += _violations(page)
    finally:
        context.close()
    assert problems == []
