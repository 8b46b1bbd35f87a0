"""The API's documentation pages work offline: Swagger UI from Lectern's own static files, under its CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.mark.parametrize(
    ("path", "operation"), [("/api/v1/docs", "List my jobs"), ("/v1/docs", "List models")]
)
def test_it_renders_the_api_docs_without_a_cdn(page, live_server, path, operation):
    hosts: set[str] = set()
    problems: list[str] = []
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    page.goto(path)

    expect(page.get_by_text(operation).first).to_be_visible()
    screenshot(page, f"api-docs-{path.strip('/').replace('/', '-')}")
    assert hosts <= {urlsplit(live_server.url).hostname}, hosts  # nothing from a CDN
    assert not [p for p in problems if "Content Security Policy" in p], problems
