"""The player's captions track: the VTT export, in the transcript's language, current after edits."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from tests.factories import finished_job

pytestmark = pytest.mark.django_db


def _track(page: str) -> dict[str, str]:
    tag = re.search(r"<video id=\"player\".*?<track ([^>]*)>", page, re.S).group(1)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def test_it_gives_the_video_a_captions_track_that_follows_edits(client, alice):
    job = finished_job(alice, "talk.mp4", ["First line.", "Secnod line."])
    job.has_video = True
    job.save()
    client.force_login(alice)

    track = _track(client.get(job.get_absolute_url()).content.decode())
    assert track["kind"] == "captions"
    assert track["srclang"] == "en" and track["label"] == "English"
    assert track["src"].startswith(reverse("jobs:export", args=[job.pk, "vtt"]))

    vtt = client.get(track["src"])
    assert vtt.status_code == 200
    assert vtt["Content-Type"].startswith("text/vtt")
    assert "no-cache" in vtt["Cache-Control"] and "private" in vtt["Cache-Control"]
    assert vtt.content.decode().startswith("WEBVTT") and "Secnod" in vtt.content.decode()

    time.sleep(1.1)  # the track's version is the transcript's last change, to the second
    client.post(reverse("transcripts:segment-edit", args=[job.pk, 1]), {"text": "Second line."})
    after = _track(client.get(job.get_absolute_url()).content.decode())
    assert after["src"] != track["src"]  # a new address: no cache can answer with the old text
    body = client.get(after["src"]).content.decode()
    assert "Second" in body and "Secnod" not in body


def test_it_gives_an_audio_only_job_no_track(client, alice):
    job = finished_job(alice, "talk.mp3", ["Words."])
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert '<audio id="player"' in page and "<track" not in page
