"""Answers to a question from the passages found for it. No Django.

Without a language model the answer is the passages themselves, led by the sentence of the best
one that shares most words with the question. With one (Gemini through ``google-genai``, or any
OpenAI-compatible chat server through the ``openai`` SDK), the model answers from the numbered
passages only, citing them as [1], [2]; the answer is checked (JSON of the agreed shape, citations
that exist) and anything wrong with the model (a rate limit, a timeout, malformed output) gives
the extractive answer with a note saying why, never an error.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from jobs.highlights.text import split_sentences, stem, timed_words
from jobs.study.notes import defined_term
from jobs.study.retrieval import query_words

logger = logging.getLogger(__name__)

NOT_ANSWERED = "The recordings do not seem to answer this question."
# Without a model: an answer is only claimed when the best passage holds more than half of the
# question's words; otherwise the closest passage is offered as such.
PARTLY = "The recordings do not seem to answer this directly; the closest passage says:"

SYSTEM = """\
You answer a student's question about their own recorded lectures, using only the numbered
passages of the transcripts given with it. Cite the passages that support each statement as [1],
[2] and so on, right after the statement. Do not use outside knowledge. If the passages do not
answer the question, say so in one sentence and set "answered" to false. Answer in at most five
sentences, in the language of the question. Reply with JSON only:
{"answer": "...", "citations": [1, 2], "answered": true}"""


# The answer's shape for Gemini's structured output (OpenAPI-style, as the API takes it).
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "OBJECT",
    "properties": {
        "answer": {"type": "STRING"},
        "citations": {"type": "ARRAY", "items": {"type": "INTEGER"}},
        "answered": {"type": "BOOLEAN"},
    },
    "required": ["answer", "citations", "answered"],
}


@dataclass(frozen=True)
class Source:
    """A passage as the model sees it and the page cites it: numbered from 1."""

    number: int
    title: str  # the lecture's name
    start: float
    end: float
    moment: float  # where to play from; inside [start, end]
    text: str
    coverage: float = 1.0  # the share of the question's words the passage holds


@dataclass
class Answer:
    text: str  # may hold citations as [n]
    cited: list[int] = field(default_factory=list)  # source numbers
    answered: bool = True
    by: str = "passages"  # "passages", "gemini" or "openai"
    model: str = ""
    note: str = ""  # why a model's answer is not shown, or that none is configured

    def parts(self) -> list[tuple[str, int | None]]:
        """The text split at its citations: (text, None) and ("", source number) pieces."""
        pieces: list[tuple[str, int | None]] = []
        position = 0
        for match in _CITATION.finditer(self.text):
            if match.start() > position:
                pieces.append((self.text[position : match.start()], None))
            for number in re.findall(r"\d+", match.group()):
                pieces.append(("", int(number)))
            position = match.end()
        if position < len(self.text):
            pieces.append((self.text[position:], None))
        return pieces


_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


class AnswerError(Exception):
    """The model gave no usable answer; the message says why, for the user."""


class ChatModel(Protocol):
    name: str  # "gemini" or "openai"
    model: str

    def complete(self, system: str, prompt: str) -> str: ...


def prompt(question: str, sources: list[Source]) -> str:
    lines = [f"Question: {question}", "", "Passages:"]
    for source in sources:
        lines.append(
            f"[{source.number}] {source.title}, {source.start:.0f}-{source.end:.0f} s: {source.text}"
        )
    return "\n".join(lines)


def extractive_answer(question: str, sources: list[Source], *, note: str = "") -> Answer:
    """The best passage's sentence nearest the question, cited; the passages do the rest."""
    if not sources:
        return Answer(NOT_ANSWERED, answered=False, note=note)
    wanted = {stem(word) for word in query_words(question)}
    best_text, best_score = "", -1.0
    for source in sources[:1]:
        segments = [{"start": source.start, "end": source.end, "text": source.text}]
        for sentence in split_sentences(timed_words(segments)) or []:
            words = {stem(w) for w in re.findall(r"\w+", sentence.text.lower())}
            # Words of the question first; a sentence that defines something next (it is what
            # "what is" and "how do you work out" ask for), then the longer one.
            score = len(wanted & words) + 0.5 * bool(defined_term(sentence.text))
            score += min(len(sentence.text), 200) / 1000
            if score > best_score:
                best_text, best_score = sentence.text.strip(), score
    quote = f"“{best_text or sources[0].text}” [{sources[0].number}]"
    if sources[0].coverage <= 0.5:
        return Answer(f"{PARTLY} {quote}", cited=[sources[0].number], answered=False, note=note)
    return Answer(quote, cited=[sources[0].number], note=note)


def parse(raw: str, sources: list[Source]) -> Answer:
    """The model's JSON as an ``Answer``; raises ``AnswerError`` when it is not usable."""
    text = (raw or "").strip()
    if text.startswith("```"):  # some servers wrap JSON in a code fence despite being asked not to
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the answer was not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("answer"), str):
        raise AnswerError("the answer had no text")
    body = " ".join(data["answer"].split())
    answered = data.get("answered", True) is not False
    numbers = {source.number for source in sources}
    listed = data.get("citations") or []
    if not isinstance(listed, list):
        raise AnswerError("the citations were not a list")
    cited = [int(n) for n in listed if isinstance(n, int | float) and int(n) in numbers]
    inline = [int(n) for group in _CITATION.findall(body) for n in re.findall(r"\d+", group)]
    if any(n not in numbers for n in inline):
        raise AnswerError("the answer cited a passage it was not given")
    cited = sorted(set(cited) | set(inline))
    if not body:
        raise AnswerError("the answer was empty")
    if answered and not cited:
        raise AnswerError("the answer cited no passage")
    if answered and not inline:  # cited in the list only: put the citations after the text
        body += " " + "".join(f"[{n}]" for n in cited)
    return Answer(body, cited=cited, answered=answered)


def grounded_answer(question: str, sources: list[Source], chat: ChatModel | None) -> Answer:
    """The model's answer from ``sources``, or the extractive one (with a note) when it fails."""
    if chat is None or not sources:
        return extractive_answer(question, sources)
    try:
        raw = chat.complete(SYSTEM, prompt(question, sources))
        answer = parse(raw, sources)
    except AnswerError as exc:
        reason = str(exc)
    except Exception as exc:  # a remote model's failure must never fail the question
        reason = failure_reason(exc)
    else:
        answer.by, answer.model = chat.name, chat.model
        return answer
    logger.warning("The %s model gave no usable answer: %s", chat.name, reason)
    note = (
        f"The language model gave no usable answer ({reason}); these are the passages that match."
    )
    return extractive_answer(question, sources, note=note)


def failure_reason(exc: Exception) -> str:
    """Why a remote model failed, in a few words for the reader."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    if status == 429 or "RateLimit" in name:
        return "it is rate-limited just now"
    if "Timeout" in name or "timed out" in str(exc).lower():
        return "it did not answer in time"
    if isinstance(status, int):
        return f"it refused the request with status {status}"
    return f"it could not be reached: {name}"


class GeminiChat:
    """Gemini through google-genai; ``base_url`` points it elsewhere (tests: 127.0.0.1)."""

    name = "gemini"

    def __init__(
        self, api_key: str, *, model: str = "", base_url: str = "", timeout: float = 30.0,
        attempts: int = 2,
    ) -> None:  # fmt: skip
        self.api_key = api_key
        self.model = model or "gemini-2.5-flash"
        self.base_url = base_url or None
        self.timeout = timeout
        self.attempts = attempts
        self.schema: dict[str, Any] | None = ANSWER_SCHEMA

    def complete(self, system: str, prompt: str) -> str:
        # google-genai takes ~2.4 s to import: loaded only when a question goes to Gemini
        from google import genai
        from google.genai import types

        options = types.HttpOptions(
            base_url=self.base_url,
            timeout=round(self.timeout * 1000),  # the SDK takes milliseconds
            retry_options=types.HttpRetryOptions(
                attempts=self.attempts,
                initial_delay=0.5,
                max_delay=2.0,
                http_status_codes=[429, 500, 502, 503, 504],
            ),
        )
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            # The answer's shape, when the caller gives one (structured output); still checked.
            response_schema=self.schema,
            temperature=0.1,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        with genai.Client(api_key=self.api_key, vertexai=False, http_options=options) as client:
            response = client.models.generate_content(
                model=self.model, contents=prompt, config=config
            )
        return response.text or ""


class OpenAIChat:
    """Any OpenAI-compatible chat server (Ollama, llama.cpp's server, vLLM, OpenAI itself)."""

    name = "openai"

    def __init__(
        self, api_key: str, *, model: str, base_url: str = "", timeout: float = 30.0,
        retries: int = 1,
    ) -> None:  # fmt: skip
        self.api_key = api_key or "none"  # local servers take any key; the SDK wants one
        self.model = model
        self.base_url = base_url or None
        self.timeout = timeout
        self.retries = retries

    def complete(self, system: str, prompt: str) -> str:
        # openai is imported only when a question goes to a chat server
        from openai import OpenAI

        client = OpenAI(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.retries,
        )
        try:
            response = client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": prompt},
                ],
                temperature=0.1,
                response_format={"type": "json_object"},
            )
        finally:
            client.close()
        if not response.choices:
            raise AnswerError("the answer had no choices")
        return response.choices[0].message.content or ""
