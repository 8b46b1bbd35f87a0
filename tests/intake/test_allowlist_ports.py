"""The URL allow-list's ports (issue 28, note 7): allowing a host no longer opens every service on
it. A bare entry means the web ports (80 and 443); ``host:port`` one port; ``host:*`` any."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs import services
from jobs.intake import rules
from jobs.intake.urlsafety import Allowlist
from jobs.models import Job
from jobs.tasks import run_job
from tests.servers import FileServer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other_service(tmp_path: Path, jfk_wav: Path) -> Iterator[FileServer]:
    """Another service on the same host as the allowed site (an admin console, say)."""
    root = tmp_path / "other"
    root.mkdir()
    (root / "secret.wav").write_bytes(jfk_wav.read_bytes())
    with FileServer(root, "127.0.0.1") as site:
        yield site


def test_a_bare_host_allows_only_the_web_ports(media_site, settings):
    settings.URL_ALLOWLIST = ["127.0.0.1"]
    with pytest.raises(rules.UnsafeURL, match="private or internal"):
        rules.validate_url(media_site.url_for("jfk.wav"))  # a test server's port: not 80 or 443
    listed = Allowlist.parse(["127.0.0.1", "intranet.example"])
    assert listed.allows_host("intranet.example", 443) and listed.allows_host(
        "intranet.example", 80
    )
    assert not listed.allows_host("intranet.example", 8080)


def test_a_port_allows_that_port_and_no_other(media_site, other_service, settings):
    settings.URL_ALLOWLIST = [f"127.0.0.1:{media_site.port}"]
    assert rules.validate_url(media_site.url_for("jfk.wav"))
    with pytest.raises(rules.UnsafeURL, match="private or internal"):
        rules.validate_url(other_service.url_for("secret.wav"))


def test_a_redirect_to_another_port_is_refused_on_connection(
    alice, media_site, other_service, settings
):
    """The allowed site sends the downloader to another port of its host: the connection-time
    guard checks the port too, and nothing reaches the other service."""
    settings.URL_ALLOWLIST = [f"127.0.0.1:{media_site.port}"]
    media_site.redirects["/talk.wav"] = other_service.url_for("secret.wav")

    job = services.job_create(owner=alice, url=media_site.url_for("talk.wav"))
    assert run_job(str(job.pk)) == Job.Status.FAILED

    job.refresh_from_db()
    assert "internal" in job.error
    assert other_service.paths == []
    # Any port, when the operator says so.
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    assert rules.validate_url(other_service.url_for("secret.wav"))
