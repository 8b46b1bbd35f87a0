"""The whole way on speech: a synthetic spoken lecture (espeak-ng, three topics with known
spans) through the worker, then its notes and questions on the real speech model's transcript."""

from __future__ import annotations

import pytest

from jobs.models import Job, StudyNotes
from jobs.study.notes import StudyNotes as Notes
from jobs.study.selectors import question_passages
from jobs.tasks import run_job
from tests.factories import job_from_file

pytestmark = pytest.mark.django_db

# (question, topic index in tests/synth.py's LECTURE_TOPICS)
QUESTIONS = [
    ("What does chlorophyll do?", 0),
    ("What do plants turn light into?", 0),
    ("What happened to the king?", 1),
    ("When did the people of Paris storm the prison?", 1),
    ("How do you find the volume of a cube?", 2),
    ("How many faces does a cube have?", 2),
]


def test_it_makes_notes_and_answers_questions_about_a_spoken_lecture(
    alice, lecture_speech, settings
):
    settings.LECTERN_MODEL = "tiny.en"
    job = job_from_file(alice, lecture_speech.path, name="lecture.wav")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    notes = Notes.from_dict(StudyNotes.objects.get(job=job).notes)
    assert notes.points and notes.questions
    # Every moment lies in the recording; the glossary has the term the lecturer named.
    assert all(0 <= start < end <= lecture_speech.duration + 0.5 for start, end in notes.moments())
    assert "chlorophyll" in {entry.term.lower() for entry in notes.glossary}

    hits = 0
    for question, topic in QUESTIONS:
        start, end = lecture_speech.spans[topic]
        found = question_passages(alice, question, job=job, limit=3)
        assert all(f.passage.start <= f.passage.moment <= f.passage.end for f in found)
        # With three short topics the top three would cover them all: the first must be right.
        # (The spans are the speech alone; a line may start a little before its first word.)
        hits += bool(found) and start - 1.0 <= found[0].passage.moment <= end
    assert hits == len(QUESTIONS), hits
