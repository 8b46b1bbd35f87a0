"""Bob walks every URL pattern that takes an object, pointed at Alice's: all 404 (the API too,
with Bob's own key), nothing leaks."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jobs.models import Clip, Job, StudyNotes
from transcripts.models import Segment, SegmentRevision, Transcript

pytestmark = pytest.mark.django_db

SECRET = "Alice's confidential lecture about zymurgy"
VALUES = {
    "fmt": ["txt", "srt", "vtt", "json"],
    "kind": ["mp4", "jpg"],
    "index": [0],
}


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found += _patterns(entry, namespace)
        elif entry.name:
            found.append((f"{prefix}{entry.name}", entry))
    return found


@pytest.fixture
def alices_job(alice, media_root):
    job = Job.objects.create(
        owner=alice, title=SECRET, original_name="zymurgy.mp4", status=Job.Status.SUCCEEDED,
        stage=Job.Stage.DONE, progress=100, duration=30, has_video=True,
        analysis={"topics": [{"start": 0, "end": 30, "title": SECRET, "summary": "", "importance": 1}]},
    )  # fmt: skip
    folder = job.media_path()
    (folder / "clips").mkdir(parents=True)
    (folder / "slides").mkdir()
    (folder / "slides" / "slide-01.jpg").write_bytes(SECRET.encode())
    job.analysis["slides"] = [
        {
            "time": 0.0,
            "text": SECRET,
            "title": SECRET,
            "image": f"{job.media_dir()}/slides/slide-01.jpg",
        }
    ]
    (folder / "source.mp4").write_bytes(SECRET.encode() * 10)
    (folder / "clips" / "clip-01.mp4").write_bytes(SECRET.encode())
    (folder / "clips" / "clip-01.jpg").write_bytes(SECRET.encode())
    job.media.name = f"{job.media_dir()}/source.mp4"
    (folder / "poster.jpg").write_bytes(SECRET.encode())
    job.poster.name = f"{job.media_dir()}/poster.jpg"
    job.save()
    transcript = Transcript.objects.create(job=job, language="en", duration=30, text=SECRET)
    segment = Segment.objects.create(transcript=transcript, index=0, start=0, end=30, text=SECRET)
    revision = SegmentRevision.objects.create(segment=segment, text=SECRET, edited_by=alice)
    StudyNotes.objects.create(
        job=job, made_from=transcript.updated_at,
        notes={"overview": SECRET, "summary": [{"text": SECRET, "start": 0.0, "end": 30.0}]},
    )  # fmt: skip
    Clip.objects.create(
        job=job, index=0, start=0, end=25, duration=25, title=SECRET,
        file=f"{job.media_dir()}/clips/clip-01.mp4", thumbnail=f"{job.media_dir()}/clips/clip-01.jpg",
    )  # fmt: skip
    return job, revision


def _urls_for(name: str, pattern: URLPattern, job: Job, revision: SegmentRevision) -> list[str]:
    params = list(pattern.pattern.converters)
    if not params or "job_id" not in params:
        return []
    choices = []
    for param in params:
        if param == "job_id":
            choices.append([job.pk])
        elif param == "revision_id":
            choices.append([revision.pk])
        else:
            choices.append(VALUES[param])
    return [
        reverse(name, kwargs=dict(zip(params, combo, strict=True)))
        for combo in itertools.product(*choices)
    ]


def test_bob_gets_404_on_every_url_of_alices_job(client, alice, bob, alices_job):
    job, revision = alices_job
    routes = [
        (name, url)
        for name, pattern in _patterns(get_resolver())
        for url in _urls_for(name, pattern, job, revision)
    ]
    names = {name for name, _ in routes}
    # The walk must really cover the pages, fragments, exports, media, clips and segments.
    assert any(name.startswith("api:") for name in names)
    assert {"jobs:detail", "jobs:media", "jobs:export", "jobs:clip-file", "jobs:chapters",
            "jobs:poster", "jobs:slide-image", "transcripts:segment-edit", "transcripts:segment-restore",
            "jobs:notes", "jobs:notes-remake", "jobs:ask-job"} <= names  # fmt: skip

    from jobs.api.keys import api_key_create

    def auth(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key_create(user=user).token}"}

    alice_key, bob_key = auth(alice), auth(bob)
    client.force_login(alice)
    for name, url in routes:  # Alice herself gets every GET page (or a 405 for POST-only routes)
        headers = alice_key if name.startswith("api:") else {}
        assert client.get(url, headers=headers).status_code in (200, 206, 302, 405), (name, url)

    client.force_login(bob)
    for name, url in routes:
        for method in ("get", "post"):
            variants = [bob_key] if name.startswith("api:") else [
                {}, {"HX-Request": "true", "HX-Target": "job-progress"}
            ]  # fmt: skip
            for headers in variants:
                response = getattr(client, method)(url, headers=headers)
                assert response.status_code in (404, 405), (name, url, method, response.status_code)
                if response.status_code == 405:
                    continue  # the method is refused before anything is looked up
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                assert SECRET.encode() not in body and b"zymurgy" not in body, (name, url)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.title == SECRET
    assert Segment.objects.get(transcript__job=job).text == SECRET
    assert (Path(job.media.path)).exists()
    # Asking all one's lectures searches one's own alone.
    answer = client.post(reverse("jobs:ask"), {"q": "What is zymurgy?"}).content.decode()
    assert "No passage of your lectures matches" in answer
    assert SECRET not in answer
    # The question itself is shown back (its field, the title, the heading); nothing else.
    assert "zymurgy" not in re.sub(r'value="[^"]*"|<title>[^<]*|<h1>[^<]*', "", answer)
    page = client.get("/?q=zymurgy").content.decode()
    assert "zymurgy" not in re.sub(r'value="[^"]*"', "", page).replace("“zymurgy”", "")
