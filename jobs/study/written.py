"""Study notes written by a language model, tied to the lecture's own sentences. No Django.

The model gets the transcript as numbered sentences and answers with the same parts as the
extractive notes, each item naming the sentence it comes from; the moment of an item is that
sentence's start, so no time the model writes is ever trusted, and a glossary entry quotes the
lecture's own defining sentence. Anything unusable raises ``AnswerError``: the caller keeps the
extractive notes and says why.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

from jobs.highlights.text import Sentence
from jobs.study.answer import AnswerError, ChatModel, GeminiChat, failure_reason
from jobs.study.notes import (
    GlossaryEntry,
    Item,
    Point,
    SelfTest,
    StudyNotes,
    lecture_sentences,
)

MAX_SENTENCES = 1200  # about 90 minutes of lecture; longer ones keep the extractive notes

SYSTEM = """\
You write study notes for a student from the transcript of their own recorded lecture. Use only
what the transcript says. The transcript comes as numbered sentences. Reply with JSON only:
{"summary": [{"text": "...", "sentence": 3}],
 "points": [{"topic": "...", "text": "...", "sentence": 12}],
 "glossary": [{"term": "...", "sentence": 40}],
 "questions": [{"question": "...", "answer": "...", "sentence": 41}]}
"sentence" is the number of the sentence the item comes from. summary: two to five sentences on
the whole lecture. points: the key points in the order of the lecture, each under a short topic
title. glossary: the terms the lecture defines or explains, each with the sentence that defines
it. questions: up to eight self-test questions with short answers that the lecture gives.
Write in the language of the transcript."""


def notes_with_model(
    chat: ChatModel, segments: Sequence[Any], extractive: StudyNotes, *, title: str = ""
) -> StudyNotes:
    """The model's notes, or ``extractive`` with a note saying why not (never an error)."""
    try:
        return written_notes(chat, lecture_sentences(segments), title=title)
    except AnswerError as exc:
        reason = str(exc)
    except Exception as exc:  # a remote model's failure must never fail the job
        reason = failure_reason(exc)
    extractive.note = (
        f"The language model's notes could not be used ({reason}); "
        "these are made from the transcript."
    )
    return extractive


def prompt(sentences: Sequence[Sentence], title: str = "") -> str:
    lines = [f"Lecture: {title}" if title else "Lecture", "", "Transcript:"]
    lines += [f"[{number}] {sentence.text}" for number, sentence in enumerate(sentences, start=1)]
    return "\n".join(lines)


def written_notes(chat: ChatModel, sentences: Sequence[Sentence], *, title: str = "") -> StudyNotes:
    """Notes from ``chat``; raises ``AnswerError`` when its answer cannot be used."""
    if not sentences:
        raise AnswerError("the transcript is empty")
    if len(sentences) > MAX_SENTENCES:
        raise AnswerError("the lecture is too long for the model's notes")
    if isinstance(chat, GeminiChat):
        chat = copy.copy(chat)
        chat.schema = None  # the answers' schema is not the notes'; the prompt gives their shape
    raw = chat.complete(SYSTEM, prompt(sentences, title))
    return parse(raw, sentences, maker=chat.name)


def parse(raw: str, sentences: Sequence[Sentence], *, maker: str) -> StudyNotes:
    text = (raw or "").strip()
    if text.startswith("```"):
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the notes were not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise AnswerError("the notes were not a JSON object")

    def sentence(item: Any) -> Sentence | None:
        number = item.get("sentence") if isinstance(item, dict) else None
        if isinstance(number, bool) or not isinstance(number, int | float):
            return None
        index = int(number) - 1
        return sentences[index] if 0 <= index < len(sentences) else None

    def words(item: Any, key: str) -> str:
        value = item.get(key) if isinstance(item, dict) else None
        return " ".join(value.split())[:500] if isinstance(value, str) else ""

    def items(key: str) -> list[Any]:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise AnswerError(f"the notes' {key} were not a list")
        return value

    notes = StudyNotes(maker=maker)
    for item in items("summary")[:6]:
        found, said = sentence(item), words(item, "text")
        if found and said:
            notes.summary.append(Item(said, _at(found.start), _at(found.end)))
    for item in items("points")[:60]:
        found, said = sentence(item), words(item, "text")
        if found and said:
            topic = words(item, "topic") or "Key points"
            notes.points.append(Point(topic[:120], said, _at(found.start), _at(found.end)))
    for item in items("glossary")[:30]:
        found, term = sentence(item), words(item, "term")[:80]
        if found and term:
            definition = " ".join(found.text.split())
            notes.glossary.append(GlossaryEntry(term, definition, _at(found.start), _at(found.end)))
    for item in items("questions")[:10]:
        found, question, answer = sentence(item), words(item, "question"), words(item, "answer")
        if found and question and answer:
            notes.questions.append(
                SelfTest(question, answer, _at(found.start), _at(found.end), kind="model")
            )
    if not notes.points or not notes.summary:
        raise AnswerError("the notes had no usable summary or key points")
    # In the lecture's order, whatever order the model wrote them in.
    notes.points.sort(key=lambda point: point.start)
    notes.glossary.sort(key=lambda entry: entry.start)
    notes.questions.sort(key=lambda question: question.start)
    return notes


def _at(seconds: float) -> float:
    return round(float(seconds), 2)
