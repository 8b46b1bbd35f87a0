"""The one analysis of a lecture that the notes and the clips share (issue 26), on the real
tiny.en transcript of the spoken synthetic lecture (tests/synth_video.py: photosynthesis, the
French revolution, the volume of a cube; "Today we will talk about photosynthesis", "a green
pigment called chlorophyll", "The key point is that …", "Remember that …", "For example …",
"In summary …")."""

from __future__ import annotations

from typing import Any

from jobs.highlights.analysers import AnalysisResult
from jobs.highlights.analysers.base import AnalysisRequest
from jobs.highlights.emphasis import signposts
from jobs.highlights.keyterms import key_terms, stop_words, zipf
from jobs.highlights.moments import analyse_lecture
from jobs.highlights.selection import select_clips
from jobs.highlights.silences import SilenceResult
from jobs.highlights.text import cues
from jobs.study.notes import BLANK, make_notes
from tests.synth_video import TOPICS, SynthLecture

SLIDES = [f"{title}. " + ". ".join(bullets) for title, bullets, _ in TOPICS]


def _sentences(transcript: list[dict[str, Any]]) -> list[Any]:
    return AnalysisRequest(segments=transcript).sentences


def test_it_finds_the_named_terms_defined_by_their_own_sentence(
    transcript: list[dict[str, Any]],
) -> None:
    terms = {t.term.lower(): t for t in key_terms(_sentences(transcript), slide_texts=SLIDES)}

    assert "chlorophyll" in terms and terms["chlorophyll"].defined
    assert "called chlorophyll" in terms["chlorophyll"].definition.text.lower()
    for term in terms.values():
        words = term.term.lower().split()
        # No possessive, no stop word at either end, no common single word ("light", "king").
        assert "'" not in term.term
        assert words[0] not in stop_words("en") and words[-1] not in stop_words("en")
        assert len(words) > 1 or term.defined or zipf(words[0], "en") < 4.6
        # Never a greeting or an agenda line as the definition.
        assert not term.definition.text.lower().startswith(("today we", "now let us"))


def test_it_finds_and_defines_terms_in_the_recordings_language() -> None:
    sentences = AnalysisRequest(
        segments=[
            {"start": 0.0, "end": 6.0, "text": "Bonjour à tous, aujourd'hui la thermodynamique."},
            {
                "start": 6.0,
                "end": 14.0,
                "text": "L'entropie est une grandeur qui mesure le désordre d'un système isolé.",
            },
            {"start": 14.0, "end": 20.0, "text": "Dans un système isolé, l'entropie augmente."},
        ],
        language="fr",
    ).sentences
    terms = {t.term.lower(): t for t in key_terms(sentences, language="fr")}

    assert "entropie" in terms and terms["entropie"].definition.text.startswith("L'entropie est")
    assert "système isolé" in terms


def test_it_reads_the_lecturers_signposts_from_one_list_in_several_languages() -> None:
    said = {
        "en": "Remember this for the exam: the crust is made at the ridges.",
        "de": "Merken Sie sich für die Prüfung: nur Pflanzenzellen haben eine Zellwand.",
        "fr": "En résumé, l'énergie se conserve, mais l'entropie augmente.",
        "es": "Un error común es pensar que la escala es lineal.",
    }
    kinds = {
        language: [s.kind for s in signposts(text, language)] for language, text in said.items()
    }
    assert kinds == {"en": ["exam"], "de": ["exam"], "fr": ["summary"], "es": ["mistake"]}
    # The clip scorer's cues are the same list.
    assert [c.kind for c in cues(said["de"], "de")] == ["exam"]


def test_it_summarises_flagged_sentences_first_and_every_topic(
    lecture: SynthLecture, transcript: list[dict[str, Any]], analysis: AnalysisResult
) -> None:
    notes = make_notes(transcript, topics=analysis.topics, duration=lecture.duration)
    summary = " ".join(item.text.lower() for item in notes.summary)

    # (As tiny.en heard them: "the key point is that plant stone light into chemical energy".)
    assert "the key point is that plant" in summary and "into chemical energy" in summary
    assert "remember that the revolution changed politics" in summary
    assert [item.start for item in notes.summary] == sorted(item.start for item in notes.summary)
    for start, end in lecture.topic_spans:
        assert any(start - 1 <= item.start <= end for item in notes.summary)


def test_it_tests_ideas_not_common_words(
    lecture: SynthLecture, transcript: list[dict[str, Any]], analysis: AnalysisResult
) -> None:
    notes = make_notes(transcript, topics=analysis.topics, duration=lecture.duration)
    terms = {entry.term.lower() for entry in notes.glossary}
    cloze = [q for q in notes.questions if q.kind == "cloze"]

    assert cloze and any(q.answer.lower() == "chlorophyll" for q in cloze)
    for question in cloze:
        assert BLANK in question.question and question.answer.lower() in terms
        assert question.answer.lower() not in stop_words("en")
        assert "today we" not in question.question.lower()


def test_it_makes_clips_of_moments_not_chapters(
    lecture: SynthLecture,
    transcript: list[dict[str, Any]],
    analysis: AnalysisResult,
    silences: SilenceResult,
) -> None:
    result = select_clips(transcript, analysis.topics, silences.silences, share=0.7)
    lecture_analysis = analyse_lecture(_sentences(transcript))

    assert result.clips
    for clip in result.clips:
        assert 20.0 <= clip.duration <= 60.0
        # Not a whole topic: a clip is the thought around one moment.
        topic = analysis.topics[clip.topic]
        assert clip.duration < 0.9 * (topic.end - topic.start)
        # The reason is the moment's own words, and they are in the clip.
        quoted = clip.reason.split("“", 1)[1].rsplit("”", 1)[0].rstrip("…")
        assert quoted[:40].lower() in clip.text.lower()
    # Ranked by the moment's strength: the best clip holds a signpost.
    best = result.clips[0]
    assert any(
        signposts(s.text) for s in lecture_analysis.sentences if best.start <= s.start < best.end
    )
    # By default, at most a quarter of the lecture (or its one best clip, on a short one).
    default = select_clips(transcript, analysis.topics, silences.silences).clips
    longest = max(c.duration for c in default)
    assert sum(c.duration for c in default) <= max(0.25 * lecture.duration, longest)
