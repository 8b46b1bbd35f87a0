"""Study notes and questions through the pages, the worker and the settings' language model."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from jobs.models import Job, Profile, Question, StudyNotes
from jobs.tasks import run_job
from tests.factories import job_from_file
from tests.servers import OpenAIServer, rate_limited
from tests.study.conftest import store_lecture
from tests.study.corpus import LECTURES
from transcripts.models import Segment

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def plants(alice) -> Job:
    return store_lecture(alice, "Plant biology", LECTURES["Plant biology"])[0]


def test_it_shows_the_notes_on_the_job_page_with_moments_that_seek_the_player(
    client, alice, plants
):
    client.force_login(alice)
    page = client.get(plants.get_absolute_url()).content.decode()

    assert 'id="study-notes"' in page and "Osmosis is defined as the movement of water" in page
    for heading in ("Summary", "Key points", "Glossary", "Self-test"):
        assert f"<h3>{heading}</h3>" in page
    # Every moment is a chapter link (lectern.js seeks the player) with a #t= fallback.
    times = re.findall(
        r'<a href="#t=([\d.]+)" class="chapter-link study-time" data-start="([\d.]+)"', page
    )
    assert len(times) >= 8 and all(float(a) == pytest.approx(float(b), abs=0.01) for a, b in times)
    assert 'id="ask"' in page and reverse("jobs:ask-job", args=[plants.pk]) in page
    assert not StudyNotes.objects.filter(job=plants).exists()  # a GET writes nothing


def test_it_downloads_the_notes_as_markdown_linking_back_to_each_moment(client, alice, plants):
    client.force_login(alice)
    response = client.get(reverse("jobs:notes", args=[plants.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].endswith('-notes.md"')
    text = response.content.decode()
    assert text.startswith("# Study notes: Plant biology")
    assert f"(http://testserver/jobs/{plants.pk}/#t=" in text
    assert "- **osmosis**: “Osmosis is defined as" in text  # the term as the lecture says it


def test_the_notes_follow_an_edit_of_the_transcript_without_a_write_on_a_get(
    client, alice, plants, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    from jobs.study.services import study_notes_make
    from jobs.tasks import remake_notes

    client.force_login(alice)
    study_notes_make(job=plants)
    kept = StudyNotes.objects.get(job=plants)
    segment = Segment.objects.get(transcript__job=plants, text__startswith="Osmosis is defined")
    edit = reverse("transcripts:segment-edit", args=[plants.pk, segment.index])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, {"text": "Diffusion is defined as the spreading of particles."})
    # The edit queued the notes' task; until it runs, the pages show notes made in memory.
    assert [q.task["func"] for q in OrmQ.objects.all()] == ["jobs.tasks.remake_notes"]
    text = client.get(reverse("jobs:notes", args=[plants.pk])).content.decode()
    assert "**Diffusion**: “Diffusion is defined as the spreading of particles.”" in text
    assert "**Osmosis**" not in text
    client.get(plants.get_absolute_url())
    client.get(f"/api/v1/jobs/{plants.pk}/notes")
    assert StudyNotes.objects.get(job=plants).updated_at == kept.updated_at  # no GET wrote

    assert remake_notes(str(plants.pk)) is True
    stored = StudyNotes.objects.get(job=plants)
    assert stored.made_from == plants.transcript.__class__.objects.get(job=plants).updated_at
    assert any(entry["term"].lower() == "diffusion" for entry in stored.notes["glossary"])


def test_it_makes_the_notes_again_on_request(client, alice, plants):
    client.force_login(alice)
    StudyNotes.objects.filter(job=plants).delete()
    url = reverse("jobs:notes-remake", args=[plants.pk])

    response = client.post(url)
    assert response.status_code == 302 and response["Location"].endswith("#study-notes")
    fragment = client.post(url, headers=HX).content.decode()
    assert fragment.lstrip().startswith('<section class="card study-notes" id="study-notes"')
    assert StudyNotes.objects.filter(job=plants).count() == 1


def test_it_answers_a_question_about_this_lecture_with_passages_and_times(client, alice, plants):
    client.force_login(alice)
    store_lecture(alice, "Geometry basics", LECTURES["Geometry basics"])
    url = reverse("jobs:ask-job", args=[plants.pk])

    fragment = client.post(url, {"q": "How does water get into the root?"}, headers=HX)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and html.lstrip().startswith('<div id="ask-answer"')
    assert "Water enters the root hairs by osmosis." in html
    assert "From the transcripts, without a language model." in html
    # In place on the job page a moment seeks the player.
    assert re.search(r'class="chapter-link passage-time" href="#t=[\d.]+" data-start=', html)
    assert "Geometry basics" not in html

    page = client.post(url, {"q": "How does water get into the root?"})  # without JavaScript
    assert (
        page.status_code == 200
        and "<title>How does water get into the root?" in page.content.decode()
    )
    assert f'href="{plants.get_absolute_url()}#t=' in page.content.decode()
    assert Question.objects.filter(owner=alice, job=plants, answered_by="").count() == 2


def test_it_answers_from_all_my_lectures_on_the_dashboard(client, alice, plants):
    geometry, _ = store_lecture(alice, "Geometry basics", LECTURES["Geometry basics"])
    client.force_login(alice)
    assert 'action="/ask/"' in client.get("/").content.decode()

    html = client.post(
        reverse("jobs:ask"), {"q": "What is the hypotenuse?"}, headers=HX
    ).content.decode()
    assert "The longest side, opposite the right angle, is called the hypotenuse." in html
    assert f'href="{geometry.get_absolute_url()}#t=' in html and "Geometry basics" in html
    assert client.post(reverse("jobs:ask"), {"q": "  "}).status_code == 302


def test_it_answers_with_the_configured_chat_model_and_its_daily_limit(
    client, alice, plants, settings
):
    with OpenAIServer() as server:
        settings.LECTERN_LLM, settings.LECTERN_LLM_BASE_URL = "openai", server.base_url
        settings.LECTERN_LLM_API_KEY, settings.LECTERN_LLM_MODEL = server.api_key, "llama3.1"
        settings.LECTERN_LLM_ANSWERS_PER_DAY = 1
        server.chatter = lambda received: json.dumps(
            {"answer": "By osmosis through the root hairs [1].", "citations": [1], "answered": True}
        )
        client.force_login(alice)
        url = reverse("jobs:ask-job", args=[plants.pk])

        html = client.post(
            url, {"q": "How does water get into the root?"}, headers=HX
        ).content.decode()
        assert "By osmosis through the root hairs " in html
        assert re.search(r'<a class="chapter-link cite" href="#t=[\d.]+" data-start="[\d.]+"', html)
        assert "Answered by llama3.1 from the passages below only." in html

        html = client.post(url, {"q": "What is transpiration?"}, headers=HX).content.decode()
        assert "used today&#x27;s answers from the language model" in html
        assert len(server.requests) == 1  # the limit is checked before asking

        settings.LECTERN_LLM_ANSWERS_PER_DAY = 10
        server.script(*[rate_limited(0.05)] * 3)
        html = client.post(url, {"q": "What is osmosis?"}, headers=HX).content.decode()
        assert "The language model gave no usable answer (it is rate-limited just now)" in html
        assert "Osmosis is defined as the movement of water" in html
    assert list(Question.objects.values_list("answered_by", flat=True)) == ["", "", "openai"]


def test_the_worker_makes_the_notes_after_the_transcript(alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    notes = StudyNotes.objects.get(job=job)
    assert notes.made_from == job.transcript.updated_at
    assert notes.notes["points"] and "ask not what your country" in json.dumps(notes.notes).lower()


def test_staff_can_set_a_users_own_limit_on_model_answers(client, alice, plants, settings):
    with OpenAIServer() as server:
        settings.LECTERN_LLM, settings.LECTERN_LLM_BASE_URL = "openai", server.base_url
        settings.LECTERN_LLM_ANSWERS_PER_DAY = 100
        Profile.objects.create(user=alice, llm_answers_per_day=0)
        client.force_login(alice)
        html = client.post(
            reverse("jobs:ask-job", args=[plants.pk]), {"q": "What is osmosis?"}, headers=HX
        ).content.decode()
    assert "used today&#x27;s answers from the language model" in html
    assert server.requests == []
