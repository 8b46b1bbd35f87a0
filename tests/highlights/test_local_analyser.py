from __future__ import annotations

from typing import Any

import pytest

from jobs.highlights.analysers import (
    AnalysisRequest,
    AnalysisResult,
    analyse,
    get_analyser,
)
from jobs.highlights.analysers.gemini import GeminiAnalyser
from jobs.highlights.analysers.local import LocalAnalyser
from tests.synth_video import SynthLecture

PHOTOSYNTHESIS = [
    "Plants use light to make sugar.",
    "The light is caught by chlorophyll in the leaf.",
    "Chlorophyll is green because it reflects green light.",
    "Inside the leaf water and carbon dioxide meet.",
    "The plant splits water using the energy of light.",
    "Oxygen leaves the leaf as a waste product.",
    "The sugar feeds the plant and stores energy.",
    "So light, water and carbon dioxide become sugar and oxygen in the leaf.",
]
REVOLUTION = [
    "The French revolution began in Paris.",
    "The people of Paris were hungry and angry at the king.",
    "The king spent the money of France on wars.",
    "In Paris a crowd stormed the Bastille prison.",
    "The revolution ended the power of the king.",
    "France became a republic after the revolution.",
    "The revolution spread ideas of liberty across Europe.",
    "Kings across Europe feared the French revolution.",
]
CUBE = [
    "A cube has six square faces.",
    "Every edge of a cube has the same length.",
    "The volume of a cube is the length of an edge cubed.",
    "For example a cube with an edge of two metres has a volume of eight cubic metres.",
    "Doubling the edge of a cube multiplies the volume by eight.",
    "The surface of a cube is six times the area of a face.",
    "A face of a cube with an edge of two has an area of four.",
    "In summary the volume of a cube grows with the cube of its edge.",
]


def segments_from(sentences: list[str], *, word: float = 0.35) -> list[dict[str, Any]]:
    """A transcript with evenly timed words, one segment a sentence, no pauses at all."""
    segments, position = [], 0.0
    for sentence in sentences:
        words = []
        for token in sentence.split():
            words.append({"start": position, "end": position + word * 0.9, "word": " " + token})
            position += word
        segments.append(
            {"start": words[0]["start"], "end": words[-1]["end"], "text": sentence, "words": words}
        )
    return segments


def test_it_splits_the_synthetic_lecture_at_its_topics(
    lecture: SynthLecture, analysis: AnalysisResult
) -> None:
    assert analysis.analyser == "local"
    assert len(analysis.topics) == 3
    for topic, (start, _) in zip(analysis.topics[1:], lecture.topic_spans[1:], strict=True):
        assert abs(topic.start - start) <= 5.0, (topic.start, start)


def test_it_titles_topics_with_their_salient_terms(analysis: AnalysisResult) -> None:
    expected = [
        {"photosynthesis", "chlorophyll", "light", "plant", "plants", "sugar"},
        {"revolution", "french", "king", "paris"},
        {"cube", "volume"},
    ]
    for topic, words in zip(analysis.topics, expected, strict=True):
        title_words = {word.strip(",").lower() for word in topic.title.split()}
        assert title_words & words, topic.title
        assert topic.summary and "\n" not in topic.summary and len(topic.summary) <= 160
        assert 0.0 <= topic.importance <= 1.0
        assert topic.why


def test_it_rates_definitions_examples_and_takeaways_higher(analysis: AnalysisResult) -> None:
    photosynthesis, revolution, cube = analysis.topics
    # Photosynthesis: two definitions ("called chlorophyll") and "the key point"; the cube: an
    # example and "in summary"; the revolution only "remember that".
    assert revolution.importance < photosynthesis.importance
    assert revolution.importance < cube.importance
    assert "definition" in photosynthesis.why
    assert "example" in cube.why


def test_it_finds_topic_shifts_from_vocabulary_alone() -> None:
    # No pauses, no slides: only the words change.
    request = AnalysisRequest(segments=segments_from(PHOTOSYNTHESIS + REVOLUTION + CUBE))
    analyser = LocalAnalyser(min_topic=15.0)
    assert analyser.boundaries(request) == [8, 16]
    result = analyser.analyse(request)
    assert [topic.start for topic in result.topics] == [
        request.sentences[0].start,
        request.sentences[8].start,
        request.sentences[16].start,
    ]
    assert "cube" in result.topics[2].title.lower()


def test_it_marks_down_a_passage_that_leans_on_earlier_material() -> None:
    standalone = AnalysisRequest(segments=segments_from(CUBE))
    dangling = AnalysisRequest(
        segments=segments_from(["As I said before, the cube is what we saw last week.", *CUBE])
    )
    first = LocalAnalyser().analyse(standalone).topics[0]
    second = LocalAnalyser().analyse(dangling).topics[0]
    assert second.importance < first.importance
    assert "earlier" in second.why


def test_it_returns_no_topics_for_an_empty_transcript() -> None:
    result = LocalAnalyser().analyse(AnalysisRequest(segments=[]))
    assert result.topics == []
    assert result.to_dict()["topics"] == []


def test_it_chooses_local_without_a_key_and_gemini_with_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(get_analyser(), LocalAnalyser)
    assert isinstance(get_analyser(api_key="secret"), GeminiAnalyser)
    assert isinstance(get_analyser("local", api_key="secret"), LocalAnalyser)
    monkeypatch.setenv("GEMINI_API_KEY", "from-the-environment")
    chosen = get_analyser()
    assert isinstance(chosen, GeminiAnalyser) and chosen.api_key == "from-the-environment"
    assert isinstance(get_analyser(api_key=""), LocalAnalyser)  # "" means no key, on purpose
    assert not GeminiAnalyser("").available().ok
    with pytest.raises(ValueError):
        get_analyser("psychic")


def test_it_falls_back_to_local_when_gemini_cannot_be_reached() -> None:
    request = AnalysisRequest(segments=segments_from(CUBE))
    # Port 9 on the loopback (discard) has nothing listening here: the connection is refused.
    result = analyse(
        request,
        api_key="secret",
        options={"base_url": "http://127.0.0.1:9", "attempts": 1, "timeout": 5},
    )
    assert result.analyser == "local"
    assert "Gemini" in result.fallback_reason
    assert result.topics
