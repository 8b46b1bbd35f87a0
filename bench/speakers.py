"""Speakers: attribution accuracy on a conversation with known turns, and diarization's cost.

The conversation is tests/synth.conversation_speech: two espeak-ng voices taking turns, so every
turn's speaker and bounds are known. Accuracy is the share of the true speech time given to the
right speaker (tests/wer.speaker_accuracy, the same score the tests assert ≥ 90 % on), with the
number of speakers given and estimated. Time is diarization (voice encoder, NumPy only) against
transcribing the same audio with the app's default model, both in this process and run.
"""

from __future__ import annotations

from typing import Any

from bench.env import REPO, loaded_backend
from bench.stats import Series, ratio, timed
from transcripts.backends.base import TranscribeOptions

COMMAND = "uv run python -m bench.run --only speakers"
FOLDER = REPO / "var" / "bench-cache" / "conversation"


def measure(repeats: int) -> dict[str, Any]:
    from jobs.media import read_wav
    from tests.synth import conversation_speech, conversation_turns
    from tests.wer import speaker_accuracy
    from transcripts.diarization import default_encoder, diarize

    FOLDER.mkdir(parents=True, exist_ok=True)
    talk = conversation_speech(FOLDER / "conversation.wav")
    truth = conversation_turns(talk)
    samples = read_wav(talk.path)
    encoder = default_encoder()  # loaded once, as the worker keeps it
    backend = loaded_backend("base")

    transcription: list[float] = []
    diarization: dict[str, list[float]] = {"given": [], "estimated": []}
    scores: dict[str, float] = {}
    found: dict[str, int] = {}
    for _ in range(repeats):
        seconds, _result = timed(lambda: backend.transcribe(talk.path, TranscribeOptions("en")))
        transcription.append(seconds)
        for name, count in (("given", 2), ("estimated", None)):
            seconds, result = timed(lambda c=count: diarize(samples, speakers=c, encoder=encoder))
            diarization[name].append(seconds)
            scores[name] = speaker_accuracy(result, truth, talk.duration)
            found[name] = len(result.labels)
    reference = Series(transcription)
    return {
        "command": COMMAND,
        "audio_seconds": talk.duration,
        "turns": len(talk.spans),
        "transcription_seconds": reference.to_dict(),
        "rows": [
            {
                "speakers": name,
                "found": found[name],
                "accuracy": scores[name],
                "seconds": Series(diarization[name]).to_dict(),
                "vs_transcription": ratio(Series(diarization[name]), reference),
            }
            for name in ("given", "estimated")
        ],
        "goal": "accuracy ≥ 90 % of speech time",
    }
