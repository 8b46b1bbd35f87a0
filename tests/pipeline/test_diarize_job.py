"""Speakers through the whole job: labels, renaming on the page, and the exports that follow."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.pipeline.stages.diarize import label_speakers
from jobs.tasks import run_job
from tests.factories import job_from_file
from tests.synth import conversation_speech
from transcripts.media import extract_audio
from transcripts.record import TranscriptRecord
from transcripts.selectors import transcript_record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_it_labels_and_renames_speakers(client, alice, bob, tmp_path, settings):
    settings.LECTERN_MODEL = "tiny.en"
    talk = conversation_speech(tmp_path / "talk.wav")
    job = job_from_file(alice, talk.path, diarize=True, speakers=2)

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail

    segments = list(job.transcript.segments.all())
    labels = {segment.speaker for segment in segments}
    assert labels == {"S1", "S2"}
    # Every word says who spoke it, and a line holds one speaker.
    assert all({w["speaker"] for w in s.words} == {s.speaker} for s in segments)
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'name="name_S1"' in page and 'name="name_S2"' in page

    response = client.post(reverse("jobs:speakers", args=[job.pk]),
                           {"name_S1": "Lecturer", "name_S2": "Student", "name_S9": "Nobody"})  # fmt: skip
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.speaker_names == {"S1": "Lecturer", "S2": "Student"}

    vtt = client.get(reverse("jobs:export", args=[job.pk, "vtt"])).content.decode()
    assert "<v Lecturer>" in vtt and "<v Student>" in vtt
    txt = client.get(reverse("jobs:export", args=[job.pk, "txt"])).content.decode()
    assert txt.startswith(("Lecturer: ", "Student: ")) and "Student: " in txt
    named = [line.split(":")[0] for line in txt.splitlines() if line.startswith(("Lec", "Stu"))]
    assert all(a != b for a, b in pairwise(named))  # a name once per turn
    srt = client.get(reverse("jobs:export", args=[job.pk, "srt"])).content.decode()
    assert "Lecturer: " in srt and "Student: " in srt  # SRT names who starts speaking
    page = client.get(job.get_absolute_url()).content.decode()
    assert '<span class="speaker">Lecturer</span>' in page
    # The API's exports follow the names too.
    from jobs.api.keys import api_key_create

    token = api_key_create(user=alice).token
    api_json = client.get(
        f"/api/v1/jobs/{job.pk}/transcript/json", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert {segment["speaker"] for segment in api_json["segments"]} == {"Lecturer", "Student"}

    client.force_login(
        bob := job.owner.__class__.objects.create_user("bob2", "b@x.org", "pw-12345678")
    )
    assert client.post(reverse("jobs:speakers", args=[job.pk]), {"name_S1": "x"}).status_code == 404
    assert bob.pk


def test_it_cuts_segments_where_the_speaker_changes(alice, tmp_path, settings):
    """Through the real stage: a segment holding the whole conversation is cut at the turns."""
    settings.LECTERN_MODEL = "tiny.en"
    talk = conversation_speech(tmp_path / "talk.wav")
    job = job_from_file(alice, talk.path, diarize=True, speakers=2)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    stored = transcript_record(job.transcript)
    words = [w for s in stored.segments for w in s["words"]]
    text = " ".join(s["text"].strip() for s in stored.segments)
    # As a backend might have given it: one segment for everything, two voices in it.
    whole = {
        **stored.segments[0],
        "text": text,
        "end": stored.segments[-1]["end"],
        "speaker": "",
        "words": [{k: v for k, v in w.items() if k != "speaker"} for w in words],
    }
    record = replace(stored, segments=[whole])
    # The job's own 16 kHz audio went when it ended: decoded again from its media, as the run did.
    audio = tmp_path / "audio.wav"
    extract_audio(job.media.path, audio)

    diarized = label_speakers(record, audio, speakers=2)

    cut = diarized.record.segments
    assert len(cut) >= 4  # eight turns; the diarizer finds most
    assert " ".join(s["text"] for s in cut).split() == text.split()  # no word lost or doubled
    assert [w["word"] for s in cut for w in s["words"]] == [w["word"] for w in words]
    assert all(a["speaker"] != b["speaker"] for a, b in pairwise(cut))
    assert all({w["speaker"] for w in s["words"]} == {s["speaker"]} for s in cut)
    assert all(a["end"] <= b["start"] + 1e-6 for a, b in pairwise(cut))
    assert diarized.note() == ""

    again = label_speakers(diarized.record, audio, speakers=2)  # the same cut

    assert [(s["text"], s["speaker"]) for s in again.record.segments] == [
        (s["text"], s["speaker"]) for s in cut
    ]


def test_it_says_so_when_no_speaker_could_be_identified(tmp_path):
    # Lines the speech model wrote over audio in which the voice detector hears no clear speech
    # (here: a faint hum) get no speaker, and the job says so rather than passing them for
    # labelled ones.
    import numpy as np

    from tests.synth import write_wav

    hum = (np.sin(np.arange(16000 * 6) * 2 * np.pi * 50 / 16000) * 300).astype("<i2")
    record = TranscriptRecord(
        language="en",
        duration=6.0,
        segments=[{"start": 0.5, "end": 5.0, "text": "Mm.", "speaker": "", "words": []}],
    )
    diarized = label_speakers(record, write_wav(tmp_path / "audio.wav", hum))
    assert "Speakers were not identified" in diarized.note()
    assert not diarized.record.segments[0]["speaker"]
