"""Speakers through the whole job: labels, renaming on the page, and the exports that follow."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.tasks import run_job
from tests.jobs.factories import job_from_file
from tests.synth import conversation_speech

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_it_labels_and_renames_speakers(client, alice, bob, tmp_path, settings):
    settings.LECTERN_MODEL = "tiny.en"
    talk = conversation_speech(tmp_path / "talk.wav")
    job = job_from_file(alice, talk.path, diarize=True, speakers=2)

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail

    segments = list(job.transcript.segments.all())
    labels = {segment.speaker for segment in segments}
    assert labels == {"S1", "S2"}
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
    page = client.get(job.get_absolute_url()).content.decode()
    assert '<span class="speaker">Lecturer</span>' in page
    # The API's exports follow the names too.
    from jobs.apikeys import api_key_create

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
