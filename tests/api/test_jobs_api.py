from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import Job
from tests.api.conftest import bearer
from tests.factories import add_clip, finished_job

pytestmark = pytest.mark.django_db


def test_it_serves_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json()

    assert document["info"]["title"] == "Lectern API"
    assert "/api/v1/jobs/{job_id}/transcript/{fmt}" in document["paths"]
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_it_creates_a_job_from_an_upload(client, alice, alice_key, jfk_wav):
    upload = SimpleUploadedFile("lecture.wav", jfk_wav.read_bytes())

    response = client.post(
        "/api/v1/jobs",
        {"file": upload, "title": "Week 1", "language": "en", "highlights": "no"},
        headers=bearer(alice_key),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    job = Job.objects.get(pk=body["id"])
    assert job.owner == alice and job.title == "Week 1" and job.language == "en"
    assert job.highlights is False and job.media and job.original_name == "lecture.wav"
    assert body["status"] == "queued" and body["links"]["self"] == f"/api/v1/jobs/{job.pk}"


def test_it_takes_the_same_options_as_the_upload_form(client, alice, alice_key, jfk_wav):
    document = client.get("/api/v1/openapi.json").json()
    form = document["paths"]["/api/v1/jobs"]["post"]["requestBody"]["content"]
    for content in ("multipart/form-data", "application/json"):
        fields = form[content]["schema"]["properties"]
        assert {"diarize", "speakers", "highlights", "clip_layout", "language", "task",
                "model"} <= set(fields), fields  # fmt: skip

    response = client.post(
        "/api/v1/jobs",
        {"file": SimpleUploadedFile("panel.wav", jfk_wav.read_bytes()), "diarize": "true",
         "speakers": "3", "clip_layout": "original", "highlights": "yes", "model": "tiny.en",
         "language": "en", "task": "transcribe"},
        headers=bearer(alice_key),
    )  # fmt: skip

    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.diarize is True and job.speakers == 3 and job.clip_layout == "original"
    assert job.highlights is True and job.model == "tiny.en" and job.language == "en"


@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"speakers": "2"}, 400, "diarize=true"),
        ({"diarize": "true", "speakers": "0"}, 422, "speakers"),
        ({"model": "large-v9"}, 400, "does not exist on this server"),
        ({"shape": "round"}, 422, "extra"),
    ],
)
def test_it_refuses_options_the_form_would_refuse(
    client, alice, alice_key, jfk_wav, fields, status, words
):
    upload = SimpleUploadedFile("talk.wav", jfk_wav.read_bytes())
    response = client.post("/api/v1/jobs", {"file": upload, **fields}, headers=bearer(alice_key))
    assert response.status_code == status and words in response.content.decode()
    assert not Job.objects.exists()


def test_it_refuses_a_file_that_is_not_media_in_the_workers_words(client, alice, alice_key):
    notes = SimpleUploadedFile("notes.mp4", b"These are lecture notes, not a recording.\n" * 50)
    response = client.post("/api/v1/jobs", {"file": notes}, headers=bearer(alice_key))
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "This file is not a recognised audio or video format, or it is corrupt."
    )
    assert not Job.objects.exists()


def test_it_creates_a_job_from_a_json_link_checked_like_the_web_form(
    client, alice, alice_key, settings
):
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    response = client.post(
        "/api/v1/jobs",
        {"url": "http://127.0.0.1:9/talk.mp4", "task": "translate"},
        content_type="application/json",
        headers=bearer(alice_key),
    )
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.source_kind == Job.Source.URL and job.task == "translate"

    settings.URL_ALLOWLIST = []
    refused = client.post(
        "/api/v1/jobs",
        {"url": "http://127.0.0.1:9/talk.mp4"},
        content_type="application/json",
        headers=bearer(alice_key),
    )
    assert refused.status_code == 400
    assert "private or internal" in refused.json()["detail"]
    form = client.post(
        "/api/v1/jobs", {"url": "http://169.254.169.254/latest/"}, headers=bearer(alice_key)
    )
    assert form.status_code == 400
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    "body, status",
    [
        ({}, 400),  # neither a file nor a url
        ({"url": "https://example.com/a", "language": "klingon"}, 422),
        ({"url": "https://example.com/a", "surprise": 1}, 422),
        ([1, 2], 400),
    ],
)
def test_it_rejects_bad_create_requests_with_json_errors(client, alice_key, body, status):
    response = client.post(
        "/api/v1/jobs", json.dumps(body), content_type="application/json", headers=bearer(alice_key)
    )
    assert response.status_code == status
    assert "detail" in response.json()


def test_it_lists_only_my_jobs_a_page_at_a_time(client, alice, bob, alice_key):
    mine = [finished_job(alice, f"talk-{i}.mp4") for i in range(3)]
    finished_job(bob, "bob.mp4")

    first = client.get("/api/v1/jobs", {"page_size": 2}, headers=bearer(alice_key)).json()
    second = client.get(
        "/api/v1/jobs", {"page_size": 2, "page": 2}, headers=bearer(alice_key)
    ).json()

    assert first["count"] == 3 and first["has_next"] and not second["has_next"]
    listed = [item["id"] for item in first["items"] + second["items"]]
    assert sorted(listed) == sorted(str(job.pk) for job in mine)
    assert "bob.mp4" not in json.dumps(first) + json.dumps(second)


def test_it_hides_other_users_jobs_exactly_like_missing_ones(client, alice, bob, alice_key):
    theirs = finished_job(bob, "secret.mp4")
    add_clip(theirs, 0, b"mp4 bytes")
    missing = "00000000-0000-4000-8000-000000000000"

    for suffix in ["", "/transcript/txt", "/clips", "/clips/0/video"]:
        other = client.get(f"/api/v1/jobs/{theirs.pk}{suffix}", headers=bearer(alice_key))
        nothing = client.get(f"/api/v1/jobs/{missing}{suffix}", headers=bearer(alice_key))
        assert other.status_code == nothing.status_code == 404
        assert other.json() == nothing.json()
        assert "secret" not in other.content.decode()


@pytest.mark.parametrize(
    "fmt, content_type, expected",
    [
        ("txt", "text/plain", "First line.\nSecond line.\n"),
        ("srt", "application/x-subrip", "00:00:00,000 --> "),
        ("vtt", "text/vtt", "WEBVTT"),
        ("json", "application/json", '"text": "Second line."'),
    ],
)
def test_it_exports_the_transcript_in_each_format(
    client, alice, alice_key, fmt, content_type, expected
):
    job = finished_job(alice, texts=("First line.", "Second line."))

    response = client.get(f"/api/v1/jobs/{job.pk}/transcript/{fmt}", headers=bearer(alice_key))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert expected in response.content.decode()


def test_it_lists_clips_with_download_links_and_serves_the_files(client, alice, alice_key):
    job = finished_job(alice, "lecture.mp4")
    add_clip(job, 1, b"second clip", b"jpeg")
    add_clip(job, 0, b"first clip")

    clips = client.get(f"/api/v1/jobs/{job.pk}/clips", headers=bearer(alice_key)).json()

    assert [clip["index"] for clip in clips] == [0, 1]
    assert clips[0]["title"] == "Clip 0" and clips[0]["start"] == 0 and clips[0]["end"] == 8
    assert clips[0]["thumbnail_url"] is None and clips[1]["score"] == pytest.approx(0.6)
    video = client.get(clips[1]["video_url"], headers=bearer(alice_key))
    assert video.status_code == 200 and b"".join(video.streaming_content) == b"second clip"
    assert video["Content-Type"] == "video/mp4" and "attachment" in video["Content-Disposition"]
    thumb = client.get(clips[1]["thumbnail_url"], headers=bearer(alice_key))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert client.get(clips[1]["video_url"]).status_code == 401


def test_it_exports_the_speaker_turns_as_rttm(client, alice, alice_key):
    job = finished_job(alice, texts=("First line.", "Second line."))
    job.speaker_names = {"S2": "Ada Lovelace"}
    job.save()
    for index, segment in enumerate(job.transcript.segments.order_by("index")):
        segment.speaker = f"S{index + 1}"
        segment.save()

    response = client.get(f"/api/v1/jobs/{job.pk}/transcript/rttm", headers=bearer(alice_key))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = [line.split() for line in response.content.decode().splitlines()]
    assert [(line[0], line[3], line[4], line[7]) for line in lines] == [
        ("SPEAKER", "0.000", "9.000", "S1"),
        ("SPEAKER", "10.000", "9.000", "Ada_Lovelace"),
    ]
    assert all(len(line) == 10 for line in lines)
    assert {line[1] for line in lines} == {"talk"}  # the file id names the recording


def test_it_links_the_speaker_turns_only_where_speakers_were_labelled(client, alice, alice_key):
    plain = finished_job(alice, "plain.mp3")
    labelled = finished_job(alice, "panel.mp3")
    labelled.diarize = True
    labelled.save()
    links = {
        job.pk: client.get(f"/api/v1/jobs/{job.pk}", headers=bearer(alice_key)).json()["links"]
        for job in (plain, labelled)
    }
    assert "transcript_srt" in links[plain.pk] and "transcript_rttm" not in links[plain.pk]
    assert links[labelled.pk]["transcript_rttm"].endswith("/transcript/rttm")
