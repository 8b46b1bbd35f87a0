"""Signed URLs on their own: the public endpoint, the lifetime, the page's policy, and names a
job's record may not point outside its folder."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.storage import objects, serve
from tests.factories import finished_job
from tests.servers import SigV4Front
from tests.storage.conftest import KEYS

pytestmark = pytest.mark.django_db


def test_it_signs_for_the_public_endpoint_and_lets_the_page_load_from_it(
    client, alice, bucket, settings
):
    port = urlsplit(bucket.endpoint).port
    settings.LECTERN_S3_PUBLIC_ENDPOINT_URL = f"http://localhost:{port}"
    settings.LECTERN_SIGNED_URL_SECONDS = 120
    url = objects.signed_url("jobs/x/poster.jpg", content_type="image/jpeg")
    assert url.startswith(f"http://localhost:{port}/{bucket.name}/jobs/x/poster.jpg?")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["120"]

    client.force_login(alice)
    policy = client.get(reverse("jobs:dashboard"))["Content-Security-Policy"]
    origin = f"http://localhost:{port}"
    for directive in ("img-src", "media-src", "connect-src"):
        assert f"{directive} 'self' {origin}" in policy or (
            f"{directive} 'self' blob: {origin}" in policy
        ), policy


def test_it_keeps_the_default_policy_without_a_bucket(client, alice):
    client.force_login(alice)
    policy = client.get(reverse("jobs:dashboard"))["Content-Security-Policy"]
    assert "connect-src 'self';" in policy and "amazonaws" not in policy


def test_it_signs_no_slide_outside_the_jobs_folder(client, alice, bob, bucket):
    job = finished_job(alice)
    other = finished_job(bob)
    Job.objects.filter(pk=job.pk).update(
        analysis={
            "slides": [
                {"time": 0, "image": f"jobs/{other.pk}/slides/a.jpg"},
                {"time": 1, "image": f"jobs/{job.pk}/../{other.pk}/slides/a.jpg"},
                {"time": 2, "image": f"jobs/{job.pk}/slides/b.jpg"},
            ]
        }
    )
    client.force_login(alice)
    assert client.get(reverse("jobs:slide-image", args=[job.pk, 0])).status_code == 404
    assert client.get(reverse("jobs:slide-image", args=[job.pk, 1])).status_code == 404
    assert client.get(reverse("jobs:slide-image", args=[job.pk, 2])).status_code == 302
    assert serve.media_type("jobs/1/source.mp4", has_video=False) == "audio/mp4"
    assert serve.media_type("jobs/1/source.html", has_video=True) is None


@pytest.fixture
def checking_front(bucket, settings):
    """The bucket behind a front that checks SigV4 signatures and expiry as S3 does (moto does
    not), and Lectern signing for that front as its public endpoint."""
    with SigV4Front(
        bucket.endpoint, {KEYS["aws_access_key_id"]: KEYS["aws_secret_access_key"]}
    ) as front:
        settings.LECTERN_S3_PUBLIC_ENDPOINT_URL = front.base_url
        yield front


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_a_signed_url_opens_its_object_only_unchanged_and_only_until_it_expires(
    bucket, checking_front, settings
):
    settings.LECTERN_SIGNED_URL_SECONDS = 60
    for job, content in (("1", b"alice's poster"), ("2", b"bob's poster")):
        bucket.client.put_object(Bucket=bucket.name, Key=f"jobs/{job}/poster.jpg", Body=content)
    url = objects.signed_url("jobs/1/poster.jpg", content_type="image/jpeg")
    assert url.startswith(f"{checking_front.base_url}/{bucket.name}/jobs/1/poster.jpg?")
    assert _fetch(url) == (200, b"alice's poster")

    # Reused for another object, with another type, with its signature or expiry changed.
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    other = url.replace("/jobs/1/poster.jpg?", "/jobs/2/poster.jpg?")
    as_html = url.replace("response-content-type=image%2Fjpeg", "response-content-type=text%2Fhtml")
    assert as_html != url
    signature = query["X-Amz-Signature"][0]
    forged = url.replace(signature, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    longer = url.replace("X-Amz-Expires=60", "X-Amz-Expires=86400")
    for refused in (other, as_html, forged, longer):
        status, body = _fetch(refused)
        assert status == 403 and b"SignatureDoesNotMatch" in body, refused

    checking_front.clock_skew = 55  # within its minute: still good
    assert _fetch(url)[0] == 200
    checking_front.clock_skew = 61  # past it: refused, though everything else is right
    status, body = _fetch(url)
    assert status == 403 and b"AccessDenied" in body
    assert checking_front.refused == ["SignatureDoesNotMatch"] * 4 + ["AccessDenied"]
