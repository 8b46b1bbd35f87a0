"""Uploads from the browser straight to the bucket: signed POST (size limit in its policy) or
signed parts, then the form makes the job; the owner check, the limit and abandoned uploads.

The browser's part is played by ``requests`` here (tests/browser/test_direct_upload.py drives the
page's own script); the bucket is moto's S3 server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.storage import direct

pytestmark = pytest.mark.django_db


def _start(client, name: str, size: int):
    return client.post(
        reverse("jobs:upload-start"),
        data=json.dumps({"name": name, "size": size}),
        content_type="application/json",
    )


def _post(signed: dict, data: bytes) -> None:
    reply = requests.post(
        signed["url"], data=signed["fields"], files={"file": ("x", data)}, timeout=30
    )
    assert reply.status_code in (200, 201, 204), reply.text


def _create(client, *tokens: str, **fields: str):
    return client.post(
        reverse("jobs:create"),
        {"uploaded": list(tokens), "language": "en", "task": "transcribe", **fields},
    )


def test_it_signs_a_post_whose_policy_holds_the_size_limit_and_makes_the_job(
    client, alice, bucket, settings, media_root, jfk_wav
):
    settings.MAX_UPLOAD_MB = 3
    client.force_login(alice)
    data = jfk_wav.read_bytes()
    reply = _start(client, "JFK speech.WAV", len(data))
    assert reply.status_code == 200
    signed = reply.json()
    assert signed["method"] == "post"
    policy = json.loads(base64.b64decode(signed["fields"]["policy"]))
    assert ["content-length-range", 1, 3 * 1024 * 1024] in policy["conditions"]
    key = signed["fields"]["key"]
    assert key.startswith(f"uploads/{alice.pk}/") and key.endswith(".wav")
    _post(signed, data)

    response = _create(client, signed["token"], title="Moon speech")
    job = Job.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == Job.Status.QUEUED and job.title == "Moon speech"
    assert job.original_name == "JFK speech.WAV" and job.media_size == len(data)
    assert job.media.name == f"jobs/{job.pk}/source.wav"
    assert bucket.keys() == [job.media.name]  # moved out of uploads/
    assert bucket.read(job.media.name) == data
    assert not any(media_root.rglob("*.*"))


def test_it_sends_a_large_file_in_parts_each_signed_for_its_length(client, alice, bucket, settings):
    settings.LECTERN_MULTIPART_PART_MB = 5
    client.force_login(alice)
    data = os.urandom(11 * 1024 * 1024)
    signed = _start(client, "long.mp4", len(data)).json()
    assert signed["method"] == "multipart"
    assert [part["size"] for part in signed["parts"]] == [5 << 20, 5 << 20, 1 << 20]
    etags, offset = [], 0
    for part in signed["parts"]:
        query = parse_qs(urlsplit(part["url"]).query)
        assert "content-length" in query["X-Amz-SignedHeaders"][0].split(";")
        reply = requests.put(part["url"], data=data[offset : offset + part["size"]], timeout=60)
        assert reply.status_code == 200, reply.text
        etags.append(reply.headers["ETag"])
        offset += part["size"]
    done = client.post(
        reverse("jobs:upload-complete"),
        data=json.dumps({"token": signed["token"], "etags": etags}),
        content_type="application/json",
    )
    assert done.status_code == 200

    assert _create(client, signed["token"]).status_code == 302
    job = Job.objects.get(owner=alice)
    assert job.media_size == len(data) and bucket.read(job.media.name) == data
    assert bucket.keys("uploads/") == []


def test_it_refuses_a_file_over_the_limit_before_and_after_signing(client, alice, bucket, settings):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(alice)
    refused = _start(client, "big.mp4", 2 * 1024 * 1024)
    assert refused.status_code == 400 and "1 MB" in refused.json()["error"]

    # A bucket that does not enforce the signed policy (moto does not) still gets no job.
    signed = _start(client, "small.mp4", 1000).json()
    _post(signed, b"x" * (2 * 1024 * 1024))
    response = _create(client, signed["token"])
    assert response.status_code == 400 and b"1 MB limit" in response.content
    assert not Job.objects.exists() and bucket.keys() == []


def test_it_takes_a_token_only_from_its_own_user(client, alice, bob, bucket, jfk_wav):
    client.force_login(alice)
    signed = _start(client, "jfk.wav", jfk_wav.stat().st_size).json()
    _post(signed, jfk_wav.read_bytes())
    client.force_login(bob)
    response = _create(client, signed["token"])
    assert response.status_code == 400 and b"unknown or too old" in response.content
    assert not Job.objects.exists()
    tampered = signed["token"][:-2] + ("AA" if not signed["token"].endswith("AA") else "BB")
    client.force_login(alice)
    assert _create(client, tampered).status_code == 400


def test_it_removes_abandoned_uploads(client, alice, bucket, settings):
    settings.LECTERN_MULTIPART_PART_MB = 5
    client.force_login(alice)
    _post(_start(client, "a.wav", 100).json(), b"x" * 100)
    _start(client, "b.mp4", 6 * 1024 * 1024)  # parts never sent
    assert bucket.keys("uploads/") and bucket.client.list_multipart_uploads(Bucket=bucket.name).get(
        "Uploads"
    )

    assert direct.sweep_abandoned() == 0  # not old yet
    later = timezone.now() + timedelta(seconds=settings.LECTERN_UPLOAD_ABANDON_SECONDS + 5)
    assert direct.sweep_abandoned(now=later) == 2
    assert bucket.keys() == []
    assert not bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads")


def test_it_offers_direct_uploads_only_with_object_storage(client, alice):
    client.force_login(alice)
    assert b"data-direct-upload" not in client.get(reverse("jobs:dashboard")).content
    assert _start(client, "a.wav", 100).status_code == 400
