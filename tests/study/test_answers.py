"""Grounded answers through the real openai and google-genai SDKs, against chat servers on
127.0.0.1 (tests/servers.py): a good answer, malformed output, a 429 and a timeout, each of the
failures giving the extractive answer with a note."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from jobs.study.answer import (
    NOT_ANSWERED,
    PARTLY,
    GeminiChat,
    OpenAIChat,
    Source,
    extractive_answer,
    grounded_answer,
)
from tests.servers import (
    GeminiServer,
    OpenAIServer,
    Reply,
    chat_reply,
    gemini_reply,
    rate_limited,
    slow,
)

QUESTION = "How do you work out the volume of a cube?"
SOURCES = [
    Source(1, "Geometry basics", 12.0, 30.5, 14.2,
           "Every edge of a cube has the same length. The volume of a cube is the length of an "
           "edge cubed. For example a cube with an edge of two metres has a volume of eight."),
    Source(2, "Geometry basics", 40.0, 52.0, 41.0,
           "The surface area of a cube is six times the area of one face."),
]  # fmt: skip
GOOD = json.dumps(
    {"answer": "Cube the length of one edge [1].", "citations": [1], "answered": True}
)
UNANSWERED = json.dumps({"answer": "The passages do not say.", "citations": [], "answered": False})


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def gemini_server() -> Iterator[GeminiServer]:
    with GeminiServer() as server:
        yield server


def openai_chat(server: OpenAIServer, timeout: float = 5.0) -> OpenAIChat:
    return OpenAIChat(server.api_key, model="llama3.1", base_url=server.base_url, timeout=timeout)


def gemini_chat(server: GeminiServer, timeout: float = 5.0) -> GeminiChat:
    return GeminiChat("test-key", base_url=server.base_url, timeout=timeout)


def test_it_answers_with_citations_through_an_openai_compatible_server(openai_server) -> None:
    openai_server.chatter = lambda received: GOOD
    answer = grounded_answer(QUESTION, SOURCES, openai_chat(openai_server))

    assert (answer.by, answer.model, answer.note) == ("openai", "llama3.1", "")
    assert answer.cited == [1] and answer.answered
    assert answer.parts() == [("Cube the length of one edge ", None), ("", 1), (".", None)]
    (received,) = openai_server.requests
    assert received.path == "/v1/chat/completions"
    body = json.loads(received.body)
    assert body["model"] == "llama3.1" and body["response_format"] == {"type": "json_object"}
    # The model sees the numbered passages with their times, and the rule to use only them.
    user = body["messages"][1]["content"]
    assert "[1] Geometry basics, 12-30 s: Every edge" in user and "[2]" in user
    assert "only the numbered" in body["messages"][0]["content"]


def test_it_answers_with_citations_through_gemini(gemini_server) -> None:
    gemini_server.script(gemini_reply(GOOD))
    answer = grounded_answer(QUESTION, SOURCES, gemini_chat(gemini_server))

    assert (answer.by, answer.model, answer.cited) == ("gemini", "gemini-2.5-flash", [1])
    (received,) = gemini_server.requests
    assert received.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert received.headers.get("x-goog-api-key") == "test-key"
    body = json.loads(received.body)
    assert body["generationConfig"]["responseMimeType"] == "application/json"
    schema = body["generationConfig"]["responseSchema"]
    assert schema["required"] == ["answer", "citations", "answered"]


def test_it_says_so_when_the_recordings_do_not_answer(openai_server) -> None:
    openai_server.chatter = lambda received: UNANSWERED
    answer = grounded_answer("Who won the 1966 world cup?", SOURCES, openai_chat(openai_server))

    assert not answer.answered and answer.cited == [] and answer.by == "openai"


@pytest.mark.parametrize(
    "content",
    [
        "The volume is the edge cubed.",  # not JSON at all
        json.dumps({"answer": "Cubed [7].", "citations": [7]}),  # cites a passage it was not given
        json.dumps({"answer": "Cubed.", "citations": []}),  # an answer that cites nothing
        json.dumps({"text": "Cubed [1]."}),  # the wrong shape
    ],
)
def test_it_falls_back_to_the_passages_on_malformed_output(openai_server, content) -> None:
    openai_server.chatter = lambda received: content
    answer = grounded_answer(QUESTION, SOURCES, openai_chat(openai_server))

    assert answer.by == "passages" and answer.cited == [1]
    assert "The volume of a cube is the length of an edge cubed." in answer.text
    assert answer.note.startswith("The language model gave no usable answer (")


def test_it_falls_back_when_gemini_sends_malformed_output(gemini_server) -> None:
    gemini_server.script(gemini_reply("{not json"))
    answer = grounded_answer(QUESTION, SOURCES, gemini_chat(gemini_server))

    assert answer.by == "passages" and "not JSON" in answer.note


def test_it_falls_back_when_the_chat_server_keeps_answering_429(openai_server) -> None:
    openai_server.script(*[rate_limited(0.05)] * 5)
    answer = grounded_answer(QUESTION, SOURCES, openai_chat(openai_server))

    assert answer.by == "passages" and "rate-limited" in answer.note
    assert len(openai_server.requests) == 2  # the SDK retried once


def test_it_falls_back_when_gemini_keeps_answering_429(gemini_server) -> None:
    error = {"code": 429, "message": "Resource has been exhausted.", "status": "RESOURCE_EXHAUSTED"}
    gemini_server.script(Reply(429, {"error": error}))
    answer = grounded_answer(QUESTION, SOURCES, gemini_chat(gemini_server))

    assert answer.by == "passages" and "rate-limited" in answer.note
    assert len(gemini_server.requests) == 2  # two attempts, then the fallback


def test_it_falls_back_when_the_chat_server_is_too_slow(openai_server) -> None:
    openai_server.chatter = lambda received: GOOD
    openai_server.script(slow(5), slow(5))
    began = time.monotonic()
    answer = grounded_answer(QUESTION, SOURCES, openai_chat(openai_server, timeout=0.5))

    assert answer.by == "passages" and "in time" in answer.note
    assert time.monotonic() - began < 4


def test_it_falls_back_when_gemini_is_too_slow(gemini_server) -> None:
    late = gemini_reply(GOOD)
    gemini_server.script(*[Reply(200, late.body, delay=5)] * 2)  # the first try and the retry
    began = time.monotonic()
    answer = grounded_answer(QUESTION, SOURCES, gemini_chat(gemini_server, timeout=0.5))

    assert answer.by == "passages" and "in time" in answer.note
    assert time.monotonic() - began < 4


def test_it_answers_from_the_passages_alone_without_a_model() -> None:
    answer = extractive_answer(QUESTION, SOURCES)

    assert answer.text == "“The volume of a cube is the length of an edge cubed.” [1]"
    assert answer.by == "passages" and answer.note == ""
    assert extractive_answer(QUESTION, []).text == NOT_ANSWERED
    # A passage with half the question's words or fewer is offered, not claimed as the answer.
    weak = [replace(SOURCES[1], number=1, coverage=0.5)]
    partly = extractive_answer("What is the surface of the moon?", weak)
    assert not partly.answered and partly.text.startswith(PARTLY) and partly.cited == [1]


def test_it_cites_passages_by_a_time_inside_them() -> None:
    for source in SOURCES:
        assert source.start <= source.moment <= source.end
    assert chat_reply("x").status == 200
