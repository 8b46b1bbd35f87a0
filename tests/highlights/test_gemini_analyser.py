"""The Gemini analyser against a real HTTP server on 127.0.0.1, through the real google-genai SDK.

The server (tests/servers.py's ``GeminiServer``) stands in for the one endpoint the SDK calls
(``POST /v1/models/{model}:generateContent``) and answers from a script: a good answer, malformed
JSON, a 429 rate limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from jobs.highlights.analysers import AnalysisRequest, analyse
from jobs.highlights.analysers.base import AnalysisError
from jobs.highlights.analysers.gemini import GeminiAnalyser
from tests.highlights.test_local_analyser import CUBE, PHOTOSYNTHESIS, REVOLUTION, segments_from
from tests.servers import GeminiServer, Reply

MODEL = "gemini-2.5-flash"


def answer(text: str) -> Reply:
    """A 200 generateContent response whose model output is ``text``."""
    body = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50},
        "modelVersion": MODEL,
    }
    return Reply(200, body)


def rate_limited() -> Reply:
    error = {"code": 429, "message": "Resource has been exhausted.", "status": "RESOURCE_EXHAUSTED"}
    return Reply(429, {"error": error})


@pytest.fixture
def gemini_server() -> Iterator[GeminiServer]:
    with GeminiServer() as server:
        yield server


@pytest.fixture
def request_() -> AnalysisRequest:
    return AnalysisRequest(
        segments=segments_from(PHOTOSYNTHESIS + REVOLUTION + CUBE),
        slide_changes=[22.0],
        title="Three short lessons",
    )


def good_topics(request: AnalysisRequest) -> str:
    s = request.sentences
    topics = [
        {
            "start": s[0].start + 0.4,  # off the sentence start on purpose: it gets snapped
            "end": s[7].end,
            "title": "How plants make sugar from light",
            "summary": "Chlorophyll captures light to split water and build sugar.",
            "importance": 0.8,
            "why": "Defines photosynthesis and sums it up.",
        },
        {
            "start": s[8].start,
            "end": s[15].end,
            "title": "The French revolution",
            "summary": "Paris rose against the king and France became a republic.",
            "importance": 1.7,  # out of range on purpose: it gets clamped
            "why": "A self-contained story.",
        },
        {
            "start": s[16].start,
            "end": s[23].end,
            "title": "Volume of a cube",
            "summary": "The volume of a cube is its edge cubed.",
            "importance": 0.9,
            "why": "A definition and a worked example.",
        },
    ]
    return json.dumps({"topics": topics})


def analyser(server: GeminiServer, **options: Any) -> dict[str, Any]:
    # Fast retries for the test: the SDK's defaults wait a second and more between attempts.
    settings = {"base_url": server.base_url, "initial_delay": 0.05, "max_delay": 0.2, "jitter": 0}
    settings.update(options)
    return settings


def test_it_reads_topics_from_a_good_answer(
    gemini_server: GeminiServer, request_: AnalysisRequest
) -> None:
    gemini_server.script(answer(good_topics(request_)))
    result = analyse(request_, api_key="test-key", options=analyser(gemini_server))

    assert result.analyser == "gemini" and result.model == MODEL
    assert result.fallback_reason == ""
    assert [topic.title for topic in result.topics] == [
        "How plants make sugar from light",
        "The French revolution",
        "Volume of a cube",
    ]
    assert result.topics[0].start == round(request_.sentences[0].start, 2)  # snapped
    assert result.topics[1].importance == 1.0  # clamped
    assert all(a.end <= b.start for a, b in zip(result.topics, result.topics[1:], strict=False))

    (received,) = gemini_server.requests
    assert received.method == "POST"
    assert received.path.endswith(f"/models/{MODEL}:generateContent")  # v1 or v1beta
    assert received.headers.get("x-goog-api-key") == "test-key"
    body = json.loads(received.body)
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["properties"]["topics"]["type"] == "ARRAY"
    prompt = body["contents"][0]["parts"][0]["text"]
    assert "Three short lessons" in prompt and "Slide changes at (seconds): 22.0" in prompt
    assert "The French revolution began in Paris." in prompt
    assert "teaching value" in body["systemInstruction"]["parts"][0]["text"]


def test_it_falls_back_to_local_on_malformed_json(
    gemini_server: GeminiServer, request_: AnalysisRequest
) -> None:
    gemini_server.script(answer('{"topics": [{"start": 0, "title": "Photosynth'))
    result = analyse(request_, api_key="test-key", options=analyser(gemini_server))

    assert result.analyser == "local"
    assert "not valid JSON" in result.fallback_reason
    assert len(gemini_server.requests) == 2  # a malformed answer is asked for once more
    assert result.topics


def test_it_asks_again_after_a_malformed_answer(
    gemini_server: GeminiServer, request_: AnalysisRequest
) -> None:
    gemini_server.script(
        answer("Sure! Here are the topics you asked for."), answer(good_topics(request_))
    )
    result = analyse(request_, api_key="test-key", options=analyser(gemini_server))
    assert result.analyser == "gemini"
    assert len(result.topics) == 3


def test_it_retries_after_a_rate_limit(
    gemini_server: GeminiServer, request_: AnalysisRequest
) -> None:
    gemini_server.script(rate_limited(), rate_limited(), answer(good_topics(request_)))
    result = analyse(request_, api_key="test-key", options=analyser(gemini_server))
    assert result.analyser == "gemini"
    assert len(result.topics) == 3
    assert len(gemini_server.requests) == 3


def test_it_falls_back_to_local_when_the_rate_limit_outlasts_the_retries(
    gemini_server: GeminiServer, request_: AnalysisRequest
) -> None:
    gemini_server.script(rate_limited())
    result = analyse(request_, api_key="test-key", options=analyser(gemini_server, attempts=3))
    assert result.analyser == "local"
    assert "429" in result.fallback_reason
    assert len(gemini_server.requests) == 3
    assert [topic.start for topic in result.topics]


def test_it_rejects_answers_without_usable_topics(
    gemini_server: GeminiServer, request_: AnalysisRequest
) -> None:
    gemini_server.script(answer(json.dumps({"topics": [{"start": "soon", "title": ""}]})))
    with pytest.raises(AnalysisError, match="usable"):
        GeminiAnalyser("test-key", **analyser(gemini_server)).analyse(request_)
