"""axe-core (from the npm registry, installed by `make test` into tests/browser/axe/) on every page
a user meets, on a wide screen and on a phone: no violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobs.models import Job
from jobs.tasks import run_job
from tests.browser.conftest import log_in
from tests.factories import job_from_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def _violations(page) -> list[str]:
    if not AXE.exists():
        message = f"{AXE} is missing; `make test` installs it (npm ci in tests/browser/axe)."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document)).violations.map(
            v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`
        )"""
    )
    return [f"{page.url}: {line}" for line in found]


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["wide", "phone"])
def test_axe_finds_nothing_on_any_page(
    browser, live_server, alice, password, jfk_wav, settings, viewport
):
    settings.LECTERN_MODEL = "tiny.en"
    job = job_from_file(alice, jfk_wav, name="jfk.wav")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    width, height = viewport
    # bypass_csp: axe is injected as an inline script, which our own CSP rightly refuses.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, bypass_csp=True
    )
    page = context.new_page()
    problems: list[str] = []
    try:
        page.goto("/accounts/login/")
        problems += _violations(page)
        log_in(page, alice, password)
        segment = job.transcript.segments.order_by("index").first()
        for path in [
            "/",
            job.get_absolute_url(),
            "/accounts/profile/",
            f"/?q={segment.text.split()[0].strip(',.')}",  # search results
            f"/jobs/{job.pk}/segments/{segment.index}/history/",
            f"/jobs/{job.pk}/delete/",
        ]:
            page.goto(path)
            problems += _violations(page)
    finally:
        context.close()
    assert problems == []
