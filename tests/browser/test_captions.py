"""The player's captions track in a real browser: loaded from the VTT, in the transcript's
language, and reloaded after an edit made in place."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import log_in
from tests.factories import laid_out_video_job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

CUES = """() => {
  const track = document.querySelector('#player track');
  const cues = track && track.track.cues;
  return cues ? Array.from(cues, cue => cue.text).join(' ') : '';
}"""


def _wait_for_cues(page, present: str, absent: str = "", timeout: float = 20) -> str:
    # Polled from here: the page's CSP (script-src 'self') refuses wait_for_function's eval.
    deadline = time.monotonic() + timeout
    while True:
        text = page.evaluate(CUES)
        if present in text and not (absent and absent in text):
            return text
        assert time.monotonic() < deadline, f"captions now: {text!r}"
        page.wait_for_timeout(200)


def test_it_shows_captions_and_reloads_them_after_an_edit(page, alice, password, split_video):
    job = laid_out_video_job(alice, split_video)
    log_in(page, alice, password)
    page.goto(job.get_absolute_url())

    _wait_for_cues(page, "chlorophyll")
    track = page.evaluate(
        "() => { const t = document.querySelector('#player track').track;"
        " return [t.kind, t.language, t.label, t.mode]; }"
    )
    assert track == ["captions", "en", "English", "showing"]

    # An edit saved through htmx, as the transcript's Edit form sends it.
    page.evaluate(
        """(url) => htmx.ajax('POST', url, {
             target: '#segment-0', swap: 'outerHTML',
             values: {text: 'the key point is that light is captured by the leaf'}})""",
        f"/jobs/{job.pk}/segments/0/edit/",
    )
    _wait_for_cues(page, "leaf", absent="chlorophyll")
    assert page.evaluate("document.querySelector('#player track').track.mode") == "showing"
