"""Transcript lines: one sentence each, long ones cut at a clause, nothing lost or moved."""

from __future__ import annotations

from itertools import pairwise

from transcripts.lines import MAX_CHARS, in_lines


def _segment(text: str, *, start: float = 0.0, gap_after: str = "") -> dict:
    words, t = [], start
    for word in text.split():
        words.append({"word": f" {word}", "start": t, "end": t + 0.3, "probability": 0.9})
        t += 0.8 if word == gap_after else 0.35
    return {"start": start, "end": t, "text": text, "words": words, "avg_logprob": -0.2,
            "language": "en", "speaker": ""}  # fmt: skip


def test_it_gives_each_sentence_its_own_line():
    segment = _segment("Plants make food. They use light! Do they need water? Yes.")
    lines = in_lines([segment])
    assert [line["text"] for line in lines] == [
        "Plants make food.", "They use light!", "Do they need water?", "Yes.",
    ]  # fmt: skip
    assert lines[0]["start"] == segment["start"] and lines[-1]["end"] == segment["end"]
    assert all(a["end"] <= b["start"] for a, b in pairwise(lines))
    assert all(line["language"] == "en" and line["avg_logprob"] == -0.2 for line in lines)


def test_it_keeps_abbreviations_and_numbers_inside_a_sentence():
    lines = in_lines([_segment("Dr. Smith measured 3.5 litres, e.g. in the lab. Then he left.")])
    assert [line["text"] for line in lines] == [
        "Dr. Smith measured 3.5 litres, e.g. in the lab.", "Then he left.",
    ]  # fmt: skip


def test_it_cuts_a_long_sentence_at_a_clause_near_its_middle():
    text = (
        "The light reactions happen in the thylakoid membranes of the chloroplast, "
        "while the Calvin cycle fixes carbon dioxide in the stroma using the energy they stored"
    )
    lines = in_lines([_segment(text)])
    assert len(lines) == 2 and all(len(line["text"]) <= MAX_CHARS for line in lines)
    assert lines[0]["text"].endswith("chloroplast,")


def test_it_loses_no_word_and_leaves_an_unsplittable_segment_alone():
    segments = [_segment("One. Two three. Four five six."), {"start": 5, "end": 6, "text": "Hm.",
                "words": []}, _segment("A single sentence without an end", start=7)]  # fmt: skip
    lines = in_lines(segments)
    assert [w["word"] for line in lines for w in line["words"]] == [
        w["word"] for segment in segments for w in segment["words"]
    ]
    assert lines[3] == segments[1]  # no word timings: it cannot be cut in time
    assert lines[4] == segments[2]  # one sentence: the segment as it was
