"""Extractive study notes as plain functions, on lectures with known content."""

from __future__ import annotations

import re

from jobs.highlights.analysers.base import Topic
from jobs.study.notes import BLANK, StudyNotes, defined_term, make_notes
from tests.study.corpus import LECTURES, lecture_segments


def notes_of(title: str, **options) -> tuple[StudyNotes, list[dict], dict]:
    segments, spans = lecture_segments(LECTURES[title])
    return make_notes(segments, title=title, **options), segments, spans


def test_it_finds_the_term_a_sentence_defines() -> None:
    assert defined_term("Osmosis is defined as the movement of water.") == "Osmosis"
    assert (
        defined_term("This pull is called transpiration and it can lift water.") == "transpiration"
    )
    assert (
        defined_term("The volume of a cube is the length of an edge cubed.") == "volume of a cube"
    )
    assert defined_term("That distance is called the radius.") == "radius"
    assert defined_term("Entropy refers to disorder.") == "Entropy"
    assert defined_term("Bees carry pollen from one flower to another.") == ""
    assert defined_term("It is called that because of the colour.") == ""


def test_it_makes_every_part_of_the_notes_with_moments_at_sentence_starts() -> None:
    notes, segments, _ = notes_of("Plant biology")
    starts = {round(s["start"], 2) for s in segments}

    assert notes.summary and notes.points and notes.glossary and notes.questions
    assert notes.overview.startswith("3 topics: ") or notes.overview.startswith("2 topics: ")
    # Every item links to the moment its sentence starts, and so lies inside the lecture.
    for start, end in notes.moments():
        assert start in starts and start < end <= segments[-1]["end"] + 0.01
    # Key points in the order of the lecture.
    assert [p.start for p in notes.points] == sorted(p.start for p in notes.points)


def test_it_puts_defined_terms_in_the_glossary_with_their_sentence() -> None:
    notes, _, _ = notes_of("Plant biology")
    glossary = {entry.term.lower(): entry.definition for entry in notes.glossary}

    assert glossary["osmosis"].startswith("Osmosis is defined as the movement of water")
    assert glossary["transpiration"].startswith("This pull is called transpiration")
    assert glossary["pollination"].startswith("Pollination is the transfer of pollen")
    assert glossary["photosynthesis"].startswith("Photosynthesis is the process")


def test_it_adds_the_slides_terms_with_the_sentence_that_explains_them() -> None:
    notes, _, _ = notes_of("Plant biology", slide_terms=["xylem", "chlorophyll", "quasar"])
    glossary = {entry.term: entry.definition for entry in notes.glossary}

    assert glossary["xylem"].startswith("The water then rises through the xylem")
    assert "chlorophyll" in glossary and "quasar" not in glossary  # never said: not in the notes


def test_it_asks_cloze_questions_whose_answer_is_the_blanked_term() -> None:
    notes, _, _ = notes_of("Geometry basics")

    cloze = [q for q in notes.questions if q.kind == "cloze"]
    assert len(cloze) >= 2
    for question in cloze:
        assert BLANK in question.question
        filled = question.question.removeprefix("Fill in the blank: ").replace(
            BLANK, question.answer
        )
        assert filled.lower().replace(" ", "") in _text(notes_of("Geometry basics")[1])
    answers = {q.answer.lower() for q in cloze}
    assert "hypotenuse" in answers or "radius" in answers


def test_it_turns_a_lecturers_answered_question_into_a_self_test() -> None:
    sentences = [
        "Today we look at how plants drink water from the ground below.",
        "Why do leaves wilt on a hot afternoon in the garden?",
        "They lose water through their pores faster than the roots can take it up.",
        "Watering in the evening helps the plant recover overnight.",
    ]
    segments, _ = lecture_segments([("wilting", sentences)])
    notes = make_notes(segments)

    (own,) = [q for q in notes.questions if q.kind == "lecturer"]
    assert own.question == sentences[1] and own.answer == sentences[2]
    assert own.start == round(segments[2]["start"], 2)


def test_it_uses_the_analysers_topics_when_given() -> None:
    segments, spans = lecture_segments(LECTURES["Modern history"])
    topics = [
        Topic(start, end, title.title(), "", 0.5, "") for title, (start, end) in spans.items()
    ]
    notes = make_notes(segments, topics=topics)

    assert [p.topic for p in notes.points][:1] == ["French Revolution"]
    assert {p.topic for p in notes.points} == {"French Revolution", "Industrial Revolution",
                                                "First World War"}  # fmt: skip
    assert notes.overview == "3 topics: French Revolution; Industrial Revolution; First World War."


def test_it_writes_markdown_with_a_link_for_every_item() -> None:
    notes, _, _ = notes_of("Physics of energy")
    text = notes.markdown(
        "Physics of energy", link=lambda s: f"https://lectern.test/jobs/1/#t={s:.0f}"
    )

    assert text.startswith("# Study notes: Physics of energy\n")
    for heading in ("## Summary", "## Key points", "## Glossary", "## Self-test"):
        assert heading in text
    links = re.findall(r"\[(\d+:\d\d)\]\(https://lectern\.test/jobs/1/#t=(\d+)\)", text)
    assert len(links) == len(notes.moments())
    assert StudyNotes.from_dict(notes.to_dict()) == notes


def test_it_makes_empty_notes_of_an_empty_transcript() -> None:
    notes = make_notes([])
    assert notes.is_empty
    assert "too short" in notes.markdown("Nothing")


def _text(segments: list[dict]) -> str:
    return " ".join(s["text"] for s in segments).lower().replace(" ", "")
