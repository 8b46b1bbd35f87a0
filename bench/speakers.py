"""Speakers: diarization error rate on real meetings, attribution accuracy on synthetic voices.

Real meetings: the ten 30 s AMI excerpts of ../shared/media/ami (1-4 speakers, overlapping
speech), diarized with the count estimated, written as RTTM by ``transcripts.rttm``, read back
by pyannote.database and scored by pyannote.metrics (``DiarizationErrorRate``, collar 0.25 s,
overlap scored) against ``train.rttm`` within ``train.uem``. The clustering threshold was
calibrated on other voices (transcripts/diarization/cluster.py); the speech detector's pause and
padding were chosen on trn00-04 (``TUNING``), so those five and the held-out five are also
scored apart.


The conversation is tests/synth.conversation_speech: two espeak-ng voices taking turns, so every
turn's speaker and bounds are known. Accuracy is the share of the true speech time given to the
right speaker (tests/wer.speaker_accuracy, the same score the tests assert ≥ 90 % on), with the
number of speakers given and estimated. Time is diarization (voice encoder, NumPy only) against
transcribing the same audio with the app's default model, both in this process and run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.env import REPO, loaded_backend
from bench.stats import Series, ratio, timed
from transcripts.backends.base import TranscribeOptions

COMMAND = ".venv/bin/python -m bench.run --only speakers"
FOLDER = REPO / "var" / "bench-cache" / "conversation"
AMI = REPO.parent / "shared" / "media" / "ami"
STEREO = REPO.parent / "shared" / "media" / "stereo_diarization.wav"
# Two espeak-ng voices neither the tests (tests/synth.VOICES) nor the calibration used.
HELD_OUT_VOICES = ["en+m3", "en+f4"]
# The excerpts the speech detector's settings were chosen on (transcripts.diarization.detect_speech).
TUNING = {f"trn0{i}" for i in range(5)}


def _mono(path: Path) -> Any:
    import subprocess

    import numpy as np

    from transcripts.media import SAMPLE_RATE, ffmpeg_exe

    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path),
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype="<i2")


def _one_at_a_time_floor(reference: Any, uem: Any) -> Any:
    """The best any one-speaker-at-a-time output can do: the longest reference turn at each 10 ms.

    Its DER is what overlapped speech alone costs a diarizer that labels one voice at a time."""
    from pyannote.core import Annotation, Segment

    floor = Annotation(uri=reference.uri)
    for support in uem:
        t = support.start
        while t < support.end:
            active = [(s, label) for s, _, label in reference.itertracks(yield_label=True)
                      if s.start <= t < s.end]  # fmt: skip
            if active:
                label = max(active, key=lambda item: item[0].duration)[1]
                floor[Segment(t, min(t + 0.01, support.end))] = label
            t += 0.01
    return floor.support()


def meetings() -> dict[str, Any]:
    """DER and speaker count per AMI excerpt, on the RTTM Lectern writes."""
    import tempfile

    from pyannote.core import Annotation
    from pyannote.database.util import load_rttm, load_uem
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcripts.diarization import default_encoder, diarize
    from transcripts.rttm import to_rttm

    reference = load_rttm(AMI / "train.rttm")
    uems = load_uem(AMI / "train.uem")
    encoder = default_encoder()
    metric = DiarizationErrorRate(collar=0.25, skip_overlap=False)
    floor = DiarizationErrorRate(collar=0.25, skip_overlap=False)
    halves = {
        "tuning": DiarizationErrorRate(collar=0.25, skip_overlap=False),
        "held_out": DiarizationErrorRate(collar=0.25, skip_overlap=False),
    }
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for uri in sorted(reference):
            seconds, result = timed(lambda u=uri: diarize(_mono(AMI / f"{u}.wav"), encoder=encoder))
            path = Path(folder) / f"{uri}.rttm"
            path.write_text(to_rttm(result, uri=uri))
            hypothesis = load_rttm(path).get(uri, Annotation(uri=uri))
            detail = metric(reference[uri], hypothesis, uem=uems[uri], detailed=True)
            halves["tuning" if uri in TUNING else "held_out"](
                reference[uri], hypothesis, uem=uems[uri]
            )
            floor(reference[uri], _one_at_a_time_floor(reference[uri], uems[uri]), uem=uems[uri])
            rows.append(
                {
                    "uri": uri,
                    "speakers": len(reference[uri].labels()),
                    "found": len(result.labels),
                    "der": detail["diarization error rate"],
                    "reference_seconds": detail["total"],
                    "missed": detail["missed detection"],
                    "false_alarm": detail["false alarm"],
                    "confusion": detail["confusion"],
                    "unassigned_seconds": result.unassigned_seconds,
                    "count_margin": result.count_margin,
                    "seconds": seconds,
                }
            )
    return {
        "rows": rows,
        "der": abs(metric),
        "der_tuning": abs(halves["tuning"]),
        "der_held_out": abs(halves["held_out"]),
        "tuning": sorted(TUNING),
        "counts_right": sum(row["speakers"] == row["found"] for row in rows),
        "one_at_a_time_floor": abs(floor),
        "goal": "DER ≤ 25 % over the ten; count right on ≥ 8 of 10",
    }


def stereo() -> dict[str, Any]:
    """The two-person stereo file mixed down to mono, count estimated (the truth is 2)."""
    from transcripts.diarization import diarize

    result = diarize(_mono(STEREO))
    return {"speakers": 2, "found": len(result.labels), "count_margin": result.count_margin}


def held_out_conversation() -> dict[str, Any]:
    """Accuracy on a dialogue in two espeak-ng voices the tests and calibration never used."""
    from tests.synth import CONVERSATION, conversation_turns, speech
    from tests.wer import speaker_accuracy
    from transcripts.diarization import diarize
    from transcripts.media import read_wav

    FOLDER.mkdir(parents=True, exist_ok=True)
    path = FOLDER / f"held-out-{'-'.join(v.replace('+', '') for v in HELD_OUT_VOICES)}.wav"
    talk = speech(CONVERSATION, path, pause=0.6, voices=HELD_OUT_VOICES)
    samples, truth = read_wav(talk.path), conversation_turns(talk)
    rows = []
    for name, count in (("given", 2), ("estimated", None)):
        result = diarize(samples, speakers=count)
        rows.append(
            {
                "speakers": name,
                "found": len(result.labels),
                "accuracy": speaker_accuracy(result, truth, talk.duration),
            }
        )
    return {"voices": HELD_OUT_VOICES, "audio_seconds": talk.duration, "rows": rows}


def measure(repeats: int) -> dict[str, Any]:
    from tests.synth import conversation_speech, conversation_turns
    from tests.wer import speaker_accuracy
    from transcripts.diarization import default_encoder, diarize
    from transcripts.media import read_wav

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
        "ami": meetings(),
        "stereo": stereo(),
        "held_out": held_out_conversation(),
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
