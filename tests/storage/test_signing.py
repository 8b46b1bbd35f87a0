"""Signed URLs on their own: the public endpoint, the lifetime, the page's policy, and names a
job's record may not point outside its folder."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.storage import objects, serve
from tests.factories import finished_job

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
