"""Study notes written by a language model (LECTERN_LLM_NOTES), through the real SDKs against
servers on 127.0.0.1: every moment is a sentence of the lecture; any failure keeps the extractive
notes and says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from jobs.pipeline import runner
from jobs.pipeline.config import run_settings
from jobs.study.answer import GeminiChat, OpenAIChat
from jobs.study.notes import lecture_sentences, make_notes
from jobs.study.written import notes_with_model
from tests.servers import GeminiServer, OpenAIServer, Reply, gemini_reply
from tests.study.conftest import store_lecture
from tests.study.corpus import LECTURES, lecture_segments
from transcripts.models import Segment

SEGMENTS, _ = lecture_segments(LECTURES["Plant biology"])
SENTENCES = lecture_sentences(SEGMENTS)
GOOD = {
    "summary": [{"text": "Plants make sugar from light and move water up from the roots.",
                 "sentence": 4}],
    "points": [
        {"topic": "Water", "text": "Water enters the roots by osmosis.", "sentence": 9},
        {"topic": "Light", "text": "Chlorophyll catches the light.", "sentence": 2},
    ],
    "glossary": [{"term": "osmosis", "sentence": 10}, {"term": "nowhere", "sentence": 999}],
    "questions": [{"question": "What pulls water up a tree?", "answer": "Transpiration.",
                   "sentence": 13}],
}  # fmt: skip


def openai_chat(server: OpenAIServer) -> OpenAIChat:
    return OpenAIChat(server.api_key, model="llama3.1", base_url=server.base_url, timeout=5)


def test_it_ties_every_item_of_the_models_notes_to_a_sentence_of_the_lecture() -> None:
    with OpenAIServer() as server:
        server.chatter = lambda received: json.dumps(GOOD)
        notes = notes_with_model(openai_chat(server), SEGMENTS, make_notes(SEGMENTS))
        (received,) = server.requests
    assert notes.maker == "openai" and notes.note == ""
    assert [p.text for p in notes.points] == [  # in the lecture's order
        "Chlorophyll catches the light.",
        "Water enters the roots by osmosis.",
    ]
    assert notes.points[0].start == round(SENTENCES[1].start, 2)
    # The glossary quotes the lecture's own sentence; an item naming no sentence is dropped.
    (entry,) = notes.glossary
    assert entry.term == "osmosis" and entry.definition == SENTENCES[9].text
    assert notes.questions[0].kind == "model" and notes.questions[0].start == round(
        SENTENCES[12].start, 2
    )
    prompt = json.loads(received.body)["messages"][1]["content"]
    assert "[10] Osmosis is defined as the movement of water" in prompt


@pytest.mark.parametrize(
    "content",
    ["Here are your notes!", json.dumps({"summary": [], "points": []}),
     json.dumps({**GOOD, "points": [{"text": "No sentence.", "sentence": 0}]})],
)  # fmt: skip
def test_it_keeps_the_extractive_notes_when_the_models_are_unusable(content) -> None:
    with OpenAIServer() as server:
        server.chatter = lambda received: content
        notes = notes_with_model(openai_chat(server), SEGMENTS, make_notes(SEGMENTS))
    assert notes.maker == "extractive" and notes.glossary
    assert notes.note.startswith("The language model's notes could not be used (")


def test_it_keeps_the_extractive_notes_when_gemini_is_rate_limited() -> None:
    error = {"code": 429, "message": "Resource has been exhausted.", "status": "RESOURCE_EXHAUSTED"}
    with GeminiServer() as server:
        server.script(Reply(429, {"error": error}))
        chat = GeminiChat("test-key", base_url=server.base_url, timeout=5)
        notes = notes_with_model(chat, SEGMENTS, make_notes(SEGMENTS))
    assert notes.maker == "extractive" and "rate-limited" in notes.note


def test_it_writes_notes_through_gemini_without_the_answers_schema() -> None:
    with GeminiServer() as server:
        server.script(gemini_reply(json.dumps(GOOD)))
        chat = GeminiChat("test-key", base_url=server.base_url, timeout=5)
        notes = notes_with_model(chat, SEGMENTS, make_notes(SEGMENTS))
        (received,) = server.requests
    assert notes.maker == "gemini" and len(notes.points) == 2
    assert "responseSchema" not in json.loads(received.body)["generationConfig"]
    assert chat.schema is not None  # the caller's client keeps its schema for answers


def test_the_runner_asks_the_configured_model_for_the_notes(jfk_wav: Path, tmp_path, settings):
    settings.LECTERN_MODEL = "tiny.en"
    with OpenAIServer() as server:
        server.chatter = lambda received: json.dumps(
            {"summary": [{"text": "A call to serve the country.", "sentence": 1}],
             "points": [{"topic": "Service", "text": "Ask what you can do.", "sentence": 1}]}
        )  # fmt: skip
        settings.LECTERN_LLM, settings.LECTERN_LLM_NOTES = "openai", True
        settings.LECTERN_LLM_BASE_URL, settings.LECTERN_LLM_MODEL = server.base_url, "llama3.1"
        settings.LECTERN_LLM_API_KEY = server.api_key
        done = runner.run(
            runner.Request(source=jfk_wav, folder=tmp_path), run_settings(), runner.FileStore()
        )
    assert done.study is not None and done.study.maker == "openai"
    assert done.study.points[0].text == "Ask what you can do."


@pytest.mark.django_db
def test_the_page_keeps_a_models_notes_after_an_edit_until_made_again(client, alice, settings):
    job, _ = store_lecture(alice, "Plant biology", LECTURES["Plant biology"])
    client.force_login(alice)
    with OpenAIServer() as server:
        server.chatter = lambda received: json.dumps(GOOD)
        settings.LECTERN_LLM, settings.LECTERN_LLM_NOTES = "openai", True
        settings.LECTERN_LLM_BASE_URL, settings.LECTERN_LLM_API_KEY = (
            server.base_url,
            server.api_key,
        )
        client.post(reverse("jobs:notes-remake", args=[job.pk]))
        page = client.get(job.get_absolute_url()).content.decode()
        assert "Written by the language model from the transcript" in page
        assert "Chlorophyll catches the light." in page

        segment = Segment.objects.get(transcript__job=job, index=0)
        client.post(
            reverse("transcripts:segment-edit", args=[job.pk, 0]),
            {"text": segment.text + " Even in winter."},
        )
        page = client.get(job.get_absolute_url()).content.decode()
        assert "Written before your last edit of the transcript" in page
        assert "Chlorophyll catches the light." in page  # kept, not replaced by extractive notes
        assert len(server.requests) == 1
