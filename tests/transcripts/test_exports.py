"""One truth for who spoke: TXT, SRT, VTT and JSON show the same turns, word for word.

Real speech: AMI meeting excerpts (../shared/media/ami) transcribed by the bundled base model, with
the corpus's own reference speaker turns as the diarization, so the turns are the true ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pysubs2
import pytest

from tests.conftest import shared_media
from tests.transcripts.conftest import faster_whisper_transcript
from tests.transcripts.test_subtitles import check_rules
from transcripts import exports
from transcripts.diarization import Diarization
from transcripts.speakers import speaker_pieces, with_speakers
from transcripts.subtitles import build_cues

NAMES = {"S1": "Chair", "S2": "Ana"}  # S3 and S4 keep their labels


def reference_turns(excerpt: str) -> Diarization:
    """The AMI reference turns of ``excerpt`` (RTTM), speakers named S1, S2... as Lectern does."""
    turns = []
    for line in Path(shared_media("ami/train.rttm")).read_text().splitlines():
        fields = line.split()
        if fields and fields[1] == excerpt:
            start, length = float(fields[3]), float(fields[4])
            turns.append((start, start + length, fields[7]))
    turns.sort()
    order: dict[str, str] = {}
    for _, _, who in turns:
        order.setdefault(who, f"S{len(order) + 1}")
    return Diarization([(a, b, order[w]) for a, b, w in turns], list(order.values()))


@pytest.fixture(scope="module")
def meetings() -> dict[str, list[dict]]:
    """Two real meetings of three speakers, labelled with their true turns."""
    out = {}
    for excerpt in ("trn00", "trn08"):
        segments = faster_whisper_transcript(f"ami/{excerpt}.wav", language="en")
        out[excerpt] = with_speakers(segments, reference_turns(excerpt))
    return out


def shown(label: str) -> str:
    return NAMES.get(label, label)


def txt_words(text: str) -> list[tuple[str, str]]:
    """(word, speaker) from TXT, where "Name: " opens a line only when the speaker changes."""
    out, speaker, previous = [], "", None
    for line in text.splitlines():
        match = re.match(r"^(\w+): (.*)$", line)
        if match and match[1] in {*NAMES.values(), "S3", "S4"}:
            speaker, line = match[1], match[2]
            assert speaker != previous, f"'{speaker}:' again on a line of the same speaker"
            previous = speaker
        out += [(word, speaker) for word in line.split()]
    return out


def srt_words(text: str) -> list[tuple[str, str]]:
    out, speaker = [], ""
    for event in pysubs2.SSAFile.from_string(text, format_="srt"):
        lines = event.plaintext.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines), lines
        words = " ".join(lines).split()
        if words[0].endswith(":") and words[0][:-1] in {*NAMES.values(), "S3", "S4"}:
            speaker, words = words[0][:-1], words[1:]
        out += [(word, speaker) for word in words]
    return out


def vtt_words(text: str) -> list[tuple[str, str]]:
    out = []
    for block in (b for b in text.split("\n\n") if "-->" in b):
        lines = block.splitlines()
        timing = next(n for n, line in enumerate(lines) if "-->" in line)
        body = " ".join(lines[timing + 1 :])
        match = re.match(r"^<v ([^>]+)>(.*)$", body)
        assert match, block  # every cue says who speaks
        out += [(word, match[1]) for word in match[2].split()]
    return out


def json_words(text: str) -> list[tuple[str, str]]:
    out = []
    for segment in json.loads(text)["segments"]:
        words = [w["word"] for w in segment["words"]]
        assert "".join(words).split() == segment["text"].split()  # the line is its words
        assert {w["speaker"] for w in segment["words"]} == {segment["speaker"]}  # one speaker
        out += [(word, segment["speaker"]) for word in "".join(words).split()]
    return out


@pytest.mark.parametrize("excerpt", ["trn00", "trn08"])
def test_it_shows_the_same_turns_in_every_format(meetings, excerpt):
    segments = meetings[excerpt]
    truth = [
        (word, shown(s["speaker"]))
        for s in segments
        for word in "".join(w["word"] for w in s["words"]).split()
    ]
    assert len({who for _, who in truth}) >= 2  # the test means something only with turns

    def render(fmt: str) -> str:
        meta = {"language": "en", "duration": 30.0, "backend": "x", "model": "base"}
        return exports.render(fmt, segments, speaker_names=NAMES, **meta)

    assert txt_words(render("txt")) == truth
    assert srt_words(render("srt")) == truth
    assert vtt_words(render("vtt")) == truth
    assert json_words(render("json")) == truth


@pytest.mark.parametrize("excerpt", ["trn00", "trn08"])
def test_it_keeps_caption_rules_across_speakers(meetings, excerpt):
    segments = meetings[excerpt]

    for label in (None, lambda s: f"{shown(s)}:"):
        cues = build_cues(segments, speaker_label=label)

        check_rules(cues)
        words = [(word, s["speaker"]) for s in segments for word in s["text"].split()]
        position = 0
        for cue in cues:
            text = cue.text.split()
            if (
                label
                and text[0].endswith(":")
                and (position == 0 or words[position - 1][1] != cue.speaker)
            ):
                text = text[1:]
            assert {who for _, who in words[position : position + len(text)]} == {cue.speaker}
            position += len(text)
        assert position == len(words)


def test_it_cuts_old_transcripts_the_same_way():
    """A segment whose words changed speaker (as stored before the cut existed) is cut on export."""
    segment = {
        "start": 0.0, "end": 4.0, "text": "Is that clear? Yes, thanks.", "speaker": "S1",
        "words": [
            {"word": " Is", "start": 0.0, "end": 0.4, "speaker": "S1"},
            {"word": " that", "start": 0.4, "end": 0.8, "speaker": "S1"},
            {"word": " clear?", "start": 0.8, "end": 1.4, "speaker": "S1"},
            {"word": " Yes,", "start": 2.0, "end": 2.5, "speaker": "S2"},
            {"word": " thanks.", "start": 2.5, "end": 3.6, "speaker": "S2"},
        ],
    }  # fmt: skip

    txt = exports.to_txt([segment], speaker_names=NAMES)
    srt = exports.to_srt([segment], speaker_names=NAMES)
    document = json.loads(exports.render("json", [segment], language="en", duration=4.0,
                                         backend="x", model="y"))  # fmt: skip

    assert txt == "Chair: Is that clear?\nAna: Yes, thanks.\n"
    assert "Chair: Is that clear?" in srt and "Ana: Yes, thanks." in srt
    assert [(s["speaker"], s["text"]) for s in document["segments"]] == [
        ("S1", "Is that clear?"), ("S2", "Yes, thanks.")]  # fmt: skip


def timed(text: str, start: float, step: float = 0.3) -> dict:
    words = [
        {"word": f" {w}", "start": start + i * step, "end": start + (i + 1) * step}
        for i, w in enumerate(text.split())
    ]
    return {"start": start, "end": words[-1]["end"], "text": text, "words": words}


def test_it_moves_a_change_of_speaker_onto_a_nearby_sentence_end():
    # "Thank you." ends at 0.6 s; the turns say the second voice starts at 1.0 s, a word late.
    segment = timed("Thank you. Yes, so we begin with the first question today", 0.0)
    diarization = Diarization([(0.0, 1.0, "S1"), (1.0, 4.0, "S2")], ["S1", "S2"])

    (pieces,) = speaker_pieces([segment], diarization)

    assert [(p["speaker"], p["text"]) for p in pieces] == [
        ("S1", "Thank you."), ("S2", "Yes, so we begin with the first question today")]  # fmt: skip
    assert pieces[0]["end"] == pytest.approx(0.6) and pieces[1]["start"] == pytest.approx(0.6)


def test_it_keeps_an_interruption_in_mid_sentence():
    # No sentence end near the change: the interruption gets its own line, no word lost.
    segment = timed("so the enzyme binds carbon dioxide sorry which enzyme", 0.0)
    diarization = Diarization([(0.0, 1.8, "S1"), (1.8, 3.0, "S2")], ["S1", "S2"])

    (pieces,) = speaker_pieces([segment], diarization)

    assert [(p["speaker"], p["text"]) for p in pieces] == [
        ("S1", "so the enzyme binds carbon dioxide"), ("S2", "sorry which enzyme")]  # fmt: skip


def test_it_never_cuts_a_segment_an_owner_edited():
    segment = {**timed("Thank you. Yes indeed we agree", 0.0), "text": "Thank you, Professor."}
    diarization = Diarization([(0.0, 0.6, "S1"), (0.6, 2.0, "S2")], ["S1", "S2"])

    (pieces,) = speaker_pieces([segment], diarization)

    assert len(pieces) == 1 and pieces[0]["text"] == "Thank you, Professor."
    assert {w["speaker"] for w in pieces[0]["words"]} == {pieces[0]["speaker"]} == {"S2"}
