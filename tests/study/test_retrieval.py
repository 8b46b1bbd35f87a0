"""Retrieval for questions over stored lectures with known content (tests/study/corpus.py): the
right topic's time in the top three, on the tuning and on the held-out questions; every cited
time inside the passage it quotes; only the asker's own lectures."""

from __future__ import annotations

import pytest

from jobs.study.retrieval import query_words
from jobs.study.selectors import question_passages
from tests.study.conftest import store_lecture
from tests.study.corpus import HELD_OUT, LECTURES, TUNING

pytestmark = [pytest.mark.django_db, pytest.mark.scaleout]  # FTS5 here, tsvector on PostgreSQL


def hit_rate(user, library, questions, *, scoped: bool = False) -> tuple[float, list[str]]:
    hits, misses = 0, []
    for question, lecture, topic in questions:
        job, spans = library[lecture]
        start, end = spans[topic]
        found = question_passages(user, question, job=job if scoped else None, limit=3)
        for item in found:  # every cited moment lies inside the passage it quotes
            assert item.passage.start <= item.passage.moment <= item.passage.end
            assert item.passage.text
        if any(item.job.pk == job.pk and start <= item.passage.moment <= end for item in found):
            hits += 1
        else:
            misses.append(question)
    return hits / len(questions), misses


def test_it_keeps_only_the_words_worth_looking_up() -> None:
    assert query_words("What is the volume of a cube?") == ["volume", "cube"]
    assert query_words("Why do plants wilt? Why does a plant wilt!") == ["plants", "wilt"]
    assert query_words("what is it?") == []


def test_it_finds_the_right_topic_in_the_top_three_for_the_tuning_questions(alice, library):
    rate, misses = hit_rate(alice, library, TUNING)
    assert rate >= 0.9, misses


def test_it_finds_the_right_topic_in_the_top_three_for_held_out_questions(alice, library):
    rate, misses = hit_rate(alice, library, HELD_OUT)
    assert rate >= 0.9, misses


def test_it_finds_it_within_one_lecture_too(alice, library):
    rate, misses = hit_rate(alice, library, HELD_OUT, scoped=True)
    assert rate >= 0.9, misses


def test_it_answers_from_one_lecture_only_when_asked_so(alice, library):
    job, _ = library["Physics of energy"]
    found = question_passages(alice, "What is energy?", job=job)
    assert found and {item.job.pk for item in found} == {job.pk}
    everywhere = question_passages(alice, "What is energy?")
    assert len({item.job.pk for item in everywhere}) > 1  # photosynthesis speaks of energy too


def test_it_never_returns_another_users_lines(alice, bob, library):
    store_lecture(bob, "Bob's zymurgy", [("brewing", ["Zymurgy is the study of fermentation in brewing."] * 3)])  # fmt: skip

    assert question_passages(alice, "What is zymurgy?") == []
    assert question_passages(bob, "How do plants make sugar?") == []
    (found,) = {item.job.title for item in question_passages(bob, "What is zymurgy?")}
    assert found == "Bob's zymurgy"
    # Nor through another user's job named as the scope.
    alices_job, _ = library["Plant biology"]
    assert question_passages(bob, "How do plants make sugar?", job=alices_job) == []


def test_it_finds_nothing_for_words_no_lecture_says(alice, library):
    assert question_passages(alice, "Who painted the Mona Lisa?") == []
    assert len(LECTURES) == len(library)
