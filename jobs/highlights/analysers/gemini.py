"""The Gemini analyser: the transcript goes to Gemini, topics come back as JSON against a schema.

Structured output (``response_mime_type="application/json"`` with a ``response_schema``) makes the
model answer in the shape we parse; the answer is still validated, because a schema constrains
the form, not the sense (times outside the lecture, topics out of order). Rate limits and server
errors are retried by the SDK with exponential backoff; a malformed answer is asked for again
once. Any failure raises ``AnalysisError`` and the registry falls back to the local analyser.
"""

from __future__ import annotations

import json
import logging
from bisect import bisect_left
from typing import Any

from jobs.highlights.analysers.base import (
    AnalysisError,
    AnalysisRequest,
    AnalysisResult,
    Availability,
    Topic,
)

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "gemini-2.5-flash"

# OpenAPI-style schema, the form the Gemini API takes for ``response_schema``.
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "OBJECT",
    "properties": {
        "topics": {
            "type": "ARRAY",
            "items": {
                "type": "OBJECT",
                "properties": {
                    "start": {"type": "NUMBER", "description": "Seconds; a sentence start."},
                    "end": {"type": "NUMBER", "description": "Seconds."},
                    "title": {"type": "STRING", "description": "At most eight words."},
                    "summary": {"type": "STRING", "description": "One sentence."},
                    "importance": {"type": "NUMBER", "description": "0 to 1, teaching value."},
                    "why": {"type": "STRING", "description": "One sentence: why that value."},
                },
                "required": ["start", "end", "title", "summary", "importance", "why"],
                "propertyOrdering": ["start", "end", "title", "summary", "importance", "why"],
            },
        }
    },
    "required": ["topics"],
}

SYSTEM_INSTRUCTION = """\
You analyse transcripts of recorded lectures for a tool that cuts short highlight clips.
Split the lecture into its consecutive topics, in order, covering the whole lecture. A topic
usually lasts from one to fifteen minutes; slide changes and long pauses often mark a new topic.
For each topic give: start and end in seconds (start at the start time of its first sentence),
a short title (at most eight words), a one-sentence summary, an importance from 0 to 1 and why.
Importance is teaching value: a clear definition, a worked example, a key takeaway, a question
that gets answered, and a passage that makes sense on its own score high; administration,
digressions and passages that depend on earlier material ("as I said before") score low.
Answer in the language of the transcript."""


class GeminiAnalyser:
    name = "gemini"

    def __init__(
        self,
        api_key: str | None,
        *,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        timeout: float = 120.0,
        attempts: int = 4,
        initial_delay: float = 2.0,
        max_delay: float = 30.0,
        jitter: float = 1.0,
        answer_attempts: int = 2,
    ) -> None:
        self.api_key = api_key or ""
        self.model = model
        self.base_url = base_url or None  # None: Google's endpoint; tests point it at 127.0.0.1
        self.timeout = timeout
        self.attempts = attempts  # HTTP attempts, including the first, for 429 and 5xx
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.jitter = jitter
        self.answer_attempts = answer_attempts  # requests made when the answer is malformed

    def available(self) -> Availability:
        if not self.api_key:
            return Availability(False, "No Gemini API key is configured (GEMINI_API_KEY).")
        try:
            import google.genai  # noqa: F401
        except ImportError:
            return Availability(False, "The google-genai package is not installed.")
        return Availability(True, f"Gemini ({self.model}) with the configured API key.")

    def analyse(self, request: AnalysisRequest) -> AnalysisResult:
        availability = self.available()
        if not availability.ok:
            raise AnalysisError(availability.reason)
        if not request.sentences:
            return AnalysisResult(topics=[], analyser=self.name, model=self.model)
        # google-genai takes ~2.4 s to import: loaded only when Gemini is used
        from google import genai
        from google.genai import errors, types

        options = types.HttpOptions(
            base_url=self.base_url,
            timeout=round(self.timeout * 1000),  # the SDK takes milliseconds
            retry_options=types.HttpRetryOptions(
                attempts=self.attempts,
                initial_delay=self.initial_delay,
                max_delay=self.max_delay,
                jitter=self.jitter,
                http_status_codes=[408, 429, 500, 502, 503, 504],
            ),
        )
        config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            response_mime_type="application/json",
            response_schema=RESPONSE_SCHEMA,
            temperature=0.2,
            # No tools are offered, so the SDK's function-calling loop has nothing to do.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        prompt = _prompt(request)
        problem = "no answer"
        with genai.Client(api_key=self.api_key, vertexai=False, http_options=options) as client:
            for attempt in range(1, self.answer_attempts + 1):
                try:
                    response = client.models.generate_content(
                        model=self.model, contents=prompt, config=config
                    )
                except errors.APIError as exc:
                    raise AnalysisError(
                        f"Gemini refused the request ({exc.code} {exc.status or ''}: "
                        f"{(exc.message or '').strip()[:200]})."
                    ) from exc
                except Exception as exc:  # connection errors come from httpx, not the SDK
                    raise AnalysisError(f"Gemini could not be reached ({exc}).") from exc
                try:
                    topics = _topics(response.text, request)
                except (ValueError, TypeError, KeyError) as exc:
                    problem = str(exc)
                    logger.warning("Gemini answer %d was unusable: %s", attempt, problem)
                    continue
                return AnalysisResult(topics=topics, analyser=self.name, model=self.model)
        raise AnalysisError(f"Gemini's answer could not be used ({problem}).")


def _prompt(request: AnalysisRequest) -> str:
    lines = []
    if request.title:
        lines.append(f"Lecture title: {request.title}")
    lines.append(f"Duration: {request.end:.1f} seconds")
    if request.slide_changes:
        times = ", ".join(f"{time:.1f}" for time in request.slide_changes)
        lines.append(f"Slide changes at (seconds): {times}")
    long_pauses = [(a, b) for a, b in request.silences if b - a >= 1.5]
    if long_pauses:
        lines.append("Long pauses at (seconds): " + ", ".join(f"{a:.1f}" for a, _ in long_pauses))
    lines.append("Transcript, one sentence a line, each after its start time in seconds:")
    lines.extend(f"[{sentence.start:.1f}] {sentence.text}" for sentence in request.sentences)
    return "\n".join(lines)


def _topics(text: str | None, request: AnalysisRequest) -> list[Topic]:
    """Validated topics from Gemini's JSON; raises ``ValueError`` when there are none usable."""
    if not text:
        raise ValueError("the answer was empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer was not valid JSON: {exc.msg}") from None
    items = data.get("topics") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ValueError("the answer has no topics")

    starts = [sentence.start for sentence in request.sentences]
    end_of_lecture = request.end
    raw: list[tuple[float, float, dict[str, Any]]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            start, end = float(item["start"]), float(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if not str(item.get("title", "")).strip() or start >= end_of_lecture or end <= 0:
            continue
        raw.append((_snap(start, starts), end, item))
    raw.sort(key=lambda entry: entry[0])

    topics: list[Topic] = []
    for index, (start, end, item) in enumerate(raw):
        if topics and start <= topics[-1].start:
            continue  # two topics snapped onto the same sentence: keep the first
        # A topic ends where the next one starts at the latest: topics never overlap.
        following = next((other for other, _, _ in raw[index + 1 :] if other > start), None)
        end = min(max(end, start + 1.0), following or end_of_lecture, end_of_lecture)
        try:
            importance = float(item.get("importance", 0.5))
        except (TypeError, ValueError):
            importance = 0.5
        topics.append(
            Topic(
                start=round(start, 2),
                end=round(end, 2),
                title=" ".join(str(item["title"]).split())[:120],
                summary=" ".join(str(item.get("summary", "")).split())[:300],
                importance=max(0.0, min(1.0, importance)),
                why=" ".join(str(item.get("why", "")).split())[:300],
            )
        )
    if not topics:
        raise ValueError("none of the topics had usable times and titles")
    return topics


def _snap(time: float, starts: list[float]) -> float:
    """The sentence start nearest to ``time``: topic bounds must fall on sentence bounds."""
    index = bisect_left(starts, time)
    candidates = starts[max(0, index - 1) : index + 1]
    return min(candidates, key=lambda start: abs(start - time)) if candidates else time
