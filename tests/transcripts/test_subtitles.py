"""Subtitle cues: the rules hold for any words (hypothesis) and for real transcripts."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcripts.backends.base import SegmentResult, Word
from transcripts.subtitles import LAG, LEAD, Cue, build_cues

PUNCTUATED = re.compile(r"[.!?,;:]['\"]?$")


def check_rules(cues: list[Cue]) -> None:
    """The rules every cue list must keep, whatever the words."""
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2, cue
        assert all(0 < len(line) <= 42 for line in cue.lines), cue
        assert all(line == line.strip() for line in cue.lines), cue
        assert cue.end > cue.start, cue
        assert cue.duration <= 7.0 + 1e-6, cue
    for cue, after in itertools.pairwise(cues):
        assert cue.end <= after.start, (cue, after)
    for index, cue in enumerate(cues):
        # Shorter than a second, or faster than 20 characters a second, only when the next cue
        # (or the 7 s cap) left no more time.
        blocked = (index + 1 < len(cues) and cue.end >= cues[index + 1].start - 1e-3) or (
            cue.duration >= 7.0 - 1e-3
        )
        assert cue.duration >= 1.0 - 1e-3 or blocked, cue
        characters = len(cue.text.replace("\n", ""))
        assert characters / cue.duration <= 20.0 * 1.01 or blocked, cue


def words_of(cues: list[Cue]) -> list[str]:
    return " ".join(cue.text.replace("\n", " ") for cue in cues).split()


# -- any words ---------------------------------------------------------------------------------

_word_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'-", min_size=1, max_size=14)
_word = st.tuples(
    _word_text,
    st.sampled_from(["", "", "", "", ",", ".", "?", ";"]),
    st.floats(0.0, 1.2),  # duration
    st.floats(0.0, 2.5) | st.just(0.0),  # pause before
)


@st.composite
def transcripts(draw) -> list[dict]:
    words = draw(st.lists(_word, min_size=1, max_size=80))
    sizes = draw(st.lists(st.integers(1, 15), min_size=len(words), max_size=len(words)))
    segments: list[dict] = []
    now = draw(st.floats(0, 5))
    position = 0
    for size in sizes:
        chunk = words[position : position + size]
        if not chunk:
            break
        position += size
        timed = []
        for text, mark, duration, pause in chunk:
            now += pause
            timed.append({"word": f" {text}{mark}", "start": now, "end": now + duration})
            now += duration
        text = "".join(w["word"] for w in timed).strip()
        without_words = draw(st.booleans()) and draw(st.booleans())  # a quarter of segments
        segments.append(
            {
                "start": timed[0]["start"],
                "end": timed[-1]["end"],
                "text": text,
                "words": [] if without_words else timed,
                "speaker": draw(st.sampled_from([None, None, "A", "B"])),
            }
        )
    return segments


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(transcripts())
def test_it_keeps_the_rules_for_any_words(segments):
    cues = build_cues(segments)

    check_rules(cues)
    expected = " ".join(s["text"] for s in segments).split()
    assert words_of(cues) == expected


@settings(max_examples=60, deadline=None, database=None)
@given(transcripts())
def test_it_never_puts_two_speakers_in_one_cue(segments):
    cues = build_cues(segments)

    words = [(w, s["speaker"]) for s in segments for w in s["text"].split()]
    position = 0
    for cue in cues:
        count = len(cue.text.split())
        speakers = {speaker for _, speaker in words[position : position + count]}
        assert speakers == {cue.speaker}
        position += count


@settings(max_examples=60, deadline=None, database=None)
@given(transcripts())
def test_it_opens_each_turn_with_the_speakers_label(segments):
    cues = build_cues(segments, speaker_label=lambda speaker: f"[{speaker}]")

    check_rules(cues)  # the label counts in the line length and the reading speed
    words = [(w, s["speaker"]) for s in segments for w in s["text"].split()]
    position = 0
    for cue in cues:
        text = cue.text.split()
        before = words[position - 1][1] if position else None
        if cue.speaker and cue.speaker != before:
            assert text[0] == f"[{cue.speaker}]", cue
            text = text[1:]
        assert text and all(not word.startswith("[") for word in text), cue
        assert {speaker for _, speaker in words[position : position + len(text)]} == {cue.speaker}
        assert [word for word, _ in words[position : position + len(text)]] == text
        position += len(text)
    assert position == len(words)


# -- real transcripts --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["jfk", "licence-en", "licence-de"])
def test_it_keeps_the_rules_on_real_transcripts(real_transcripts, name):
    segments = real_transcripts[name]

    cues = build_cues(segments)

    check_rules(cues)
    assert words_of(cues) == " ".join(s["text"] for s in segments).split()
    # Cues come up with their first word, give or take the lead and lag that buy reading time.
    starts = [w["start"] for s in segments for w in s["words"]]
    position = 0
    for cue in cues:
        first = starts[position]
        assert first - LEAD - 1e-3 <= cue.start <= first + LAG + 1e-3, (cue, first)
        position += len(cue.text.split())
    assert position == len(starts)


def test_it_breaks_real_speech_at_punctuation_and_pauses(real_transcripts):
    words = [
        w
        for name in ("licence-en", "licence-de")
        for s in real_transcripts[name]
        for w in s["words"]
    ]
    punctuated = sum(1 for w in words if PUNCTUATED.search(w["word"])) / len(words)
    ends = []
    for name in ("licence-en", "licence-de"):
        cues = build_cues(real_transcripts[name])
        ends += [cue.lines[-1].split()[-1] for cue in cues[:-1]]

    at_punctuation = sum(1 for end in ends if PUNCTUATED.search(end)) / len(ends)

    # Only about one word in six carries punctuation, but most cue ends come after one.
    assert punctuated < 0.25
    assert at_punctuation >= 0.6, ends


def test_it_takes_segment_objects(real_transcripts):
    segments = [
        SegmentResult(s["start"], s["end"], s["text"], words=[Word(**w) for w in s["words"]])
        for s in real_transcripts["jfk"]
    ]

    assert build_cues(segments) == build_cues(real_transcripts["jfk"])


# -- hand cases --------------------------------------------------------------------------------


def segment(text: str, start: float, end: float, *, words: bool = True) -> dict:
    """A segment whose words share its time evenly."""
    parts = text.split()
    step = (end - start) / len(parts)
    timed = [
        {"word": f" {part}", "start": start + i * step, "end": start + (i + 1) * step}
        for i, part in enumerate(parts)
    ]
    return {"start": start, "end": end, "text": text, "words": timed if words else []}


def test_it_cuts_a_word_longer_than_a_line():
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2  # 90 letters
    cues = build_cues([segment(f"It is {word} indeed.", 0.0, 6.0)])

    check_rules(cues)
    lines = [line for cue in cues for line in cue.lines]
    assert all(len(line) <= 42 for line in lines)
    joined = "".join(line.removesuffix("-") for line in lines).replace(" ", "")
    assert joined == f"Itis{word}indeed."


def test_it_shows_a_short_segment_for_a_second():
    (cue,) = build_cues([segment("Yes.", 5.0, 5.2)])

    assert (cue.start, cue.end, cue.lines) == (5.0, 6.0, ["Yes."])


def test_it_ends_a_short_cue_where_the_next_begins():
    cues = build_cues([segment("Yes.", 5.0, 5.2), segment("No, absolutely not.", 5.5, 6.2)])

    check_rules(cues)
    assert [c.text for c in cues] == ["Yes. No, absolutely not."] or cues[0].end == cues[1].start


def test_consecutive_cues_never_overlap_even_when_words_do():
    words = [
        {"word": f" word{i}.", "start": i * 0.4, "end": i * 0.4 + 1.5}  # each overlaps the next
        for i in range(60)
    ]
    text = "".join(w["word"] for w in words).strip()

    cues = build_cues([{"start": 0.0, "end": 25.5, "text": text, "words": words}])

    check_rules(cues)
    assert len(cues) > 3


def test_it_times_a_segment_without_words_by_its_characters():
    text = (
        "Segments without word timings are split by their characters across the time they "
        "span, so that long ones still become several readable cues."
    )

    cues = build_cues([segment(text, 10.0, 18.0, words=False)])

    check_rules(cues)
    assert len(cues) >= 2
    assert 10.0 - LEAD <= cues[0].start <= 10.0
    assert words_of(cues) == text.split()
    assert cues[-1].end <= 18.0 + 1.0


def test_it_prefers_to_break_after_a_full_stop():
    text = (
        "We start with a short sentence. "
        "Then the lecturer talks about photosynthesis for a while."
    )  # 89 characters: more than one cue holds

    cues = build_cues([segment(text, 0.0, 6.0)])

    assert [cue.text.replace("\n", " ") for cue in cues] == [
        "We start with a short sentence.",
        "Then the lecturer talks about photosynthesis for a while.",
    ]


def test_it_starts_a_new_sentence_on_a_new_line():
    text = "That was the first point. Now the second one goes on and on"

    (cue,) = build_cues([segment(text, 0.0, 4.0)])

    assert cue.lines == ["That was the first point.", "Now the second one goes on and on"]


def test_it_prefers_a_comma_to_a_bare_word_break():
    text = (
        "When the light falls on the leaf, the chlorophyll absorbs the red and the blue "
        "light and reflects the green"
    )

    cues = build_cues([segment(text, 0.0, 6.8)])

    assert cues[0].lines[-1].endswith("leaf,")


def test_it_balances_two_lines():
    text = "The quick brown fox jumps over the lazy dog and runs far away into the woods"

    (cue,) = build_cues([segment(text, 0.0, 5.0)])

    assert len(cue.lines) == 2
    first, second = (len(line) for line in cue.lines)
    assert abs(first - second) <= 10


def test_it_joins_unspaced_languages_without_spaces():
    characters = "我们今天讨论光合作用植物用叶绿素吸收光能然后把水分解成氧气和氢" * 2
    words = [
        {"word": ch, "start": i * 0.15, "end": (i + 1) * 0.15} for i, ch in enumerate(characters)
    ]

    cues = build_cues([{"start": 0.0, "end": 9.0, "text": characters, "words": words}])

    check_rules(cues)
    assert "".join(line for cue in cues for line in cue.lines) == characters
    assert all(" " not in cue.text for cue in cues)


def test_it_adds_spaces_when_words_come_without_them():
    words = [
        {"word": w, "start": i * 0.3, "end": (i + 1) * 0.3}
        for i, w in enumerate(["Hello", "there,", "students."])
    ]

    (cue,) = build_cues(
        [{"start": 0, "end": 0.9, "text": "Hello there, students.", "words": words}]
    )

    assert cue.text == "Hello there, students."


def test_it_makes_no_cues_from_nothing():
    assert build_cues([]) == []
    assert build_cues([{"start": 0.0, "end": 1.0, "text": "  ", "words": []}]) == []


def test_it_reads_real_speech_at_twenty_characters_a_second(real_transcripts):
    # The licence is read fast (one stretch at 21.6 cps before cues could borrow time).
    for name in ("jfk", "licence-en", "licence-de"):
        for cue in build_cues(real_transcripts[name]):
            assert len(cue.text.replace("\n", "")) / cue.duration <= 20.0, (name, cue)
            assert cue.duration >= 1.0 - 1e-6, (name, cue)


def test_it_borrows_time_around_a_fast_burst():
    # 64 characters spoken in 2.5 s (26 cps), then 38 in 0.8 s (48 cps), then a pause: the cues
    # must come up early and run late to be read at 20 cps.
    fast = segment("Right, so the first thing we do is take the sample and weigh it.", 2.0, 4.5)
    more = segment("Then we heat it gently until it melts.", 4.5, 5.3)
    later = segment("Good.", 7.0, 7.4)

    cues = build_cues([fast, more, later])

    check_rules(cues)
    assert cues[0].start < 2.0 and cues[0].start >= 2.0 - LEAD  # comes up before the voice
    assert all(len(c.text.replace("\n", "")) / c.duration <= 20.0 for c in cues), cues
