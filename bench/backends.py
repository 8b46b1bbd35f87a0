"""Backends side by side on one clip: time (ratio to the app's default setting), x realtime, WER.

Every configuration loads its model first and is then timed on the same clip, one after another
in this process. Word error rate is against the text the clip was synthesized from, normalised
as tests/wer.py does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.corpus import Corpus
from bench.env import CACHE, REPO
from bench.stats import Series, ratio, timed
from tests.wer import wer
from transcripts.backends.base import TranscribeOptions
from transcripts.backends.faster_whisper import FasterWhisperBackend

COMMAND = ".venv/bin/python -m bench.run --only backends"
REFERENCE = "faster-whisper base beam 5"  # LECTERN_MODEL and LECTERN_BEAM_SIZE defaults


@dataclass
class Config:
    name: str
    prepare: Callable[[], Callable[[Path], str]]  # loads the model; returns "transcribe → text"


def _faster(model: str, beam: int, threads: int = 0) -> Callable[[], Callable[[Path], str]]:
    def prepare() -> Callable[[Path], str]:
        backend = FasterWhisperBackend(
            model=model, cache_dir=CACHE, beam_size=beam, threads=threads
        )
        backend.load()
        return lambda path: backend.transcribe(path, TranscribeOptions(language="en")).text

    return prepare


def _batched(model: str, beam: int, batch: int = 8) -> Callable[[], Callable[[Path], str]]:
    def prepare() -> Callable[[Path], str]:
        from faster_whisper import BatchedInferencePipeline, decode_audio

        pipeline = BatchedInferencePipeline(
            FasterWhisperBackend(model=model, cache_dir=CACHE).load()
        )

        def run(path: Path) -> str:
            pieces, _ = pipeline.transcribe(
                decode_audio(str(path)), language="en", beam_size=beam, batch_size=batch,
                word_timestamps=True, vad_filter=True,
            )  # fmt: skip
            return " ".join(piece.text.strip() for piece in pieces)

        return run

    return prepare


def ggml(name: str) -> Path:
    """The bundled model as a ggml file, converted once (as tests/transcripts/conftest.py does)."""
    found = sorted((REPO / "var" / "test-cache" / "ggml").glob(f"{name}-*.bin"))
    if found:
        return found[-1]
    from transcripts import modelstore

    source = modelstore.tiny_en_dir() if name == "tiny.en" else modelstore.base_dir(CACHE)
    target = REPO / "var" / "bench-cache" / f"{name}.ggml.bin"
    if not target.exists():
        converter = REPO.parent / "shared" / "tools" / "ct2_to_ggml.py"
        subprocess.run([sys.executable, str(converter), str(source), str(target)], check=True)
    return target


def _whispercpp(model: str) -> Callable[[], Callable[[Path], str]]:
    def prepare() -> Callable[[Path], str]:
        from transcripts.backends.whispercpp import WhisperCppBackend

        backend = WhisperCppBackend(model=str(ggml(model)))
        jfk = REPO.parent / "shared" / "media" / "jfk.wav"
        backend.transcribe(jfk, TranscribeOptions(language="en"))  # loads the context
        return lambda path: backend.transcribe(path, TranscribeOptions(language="en")).text

    return prepare


def configs(quick: bool) -> list[Config]:
    found = [
        Config(REFERENCE, _faster("base", 5)),
        Config("faster-whisper base beam 1", _faster("base", 1)),
        Config("faster-whisper tiny.en beam 5", _faster("tiny.en", 5)),
        Config("faster-whisper tiny.en beam 1", _faster("tiny.en", 1)),
        Config("faster-whisper base batched (beam 5, batch 8)", _batched("base", 5)),
        Config("faster-whisper tiny.en batched (beam 5, batch 8)", _batched("tiny.en", 5)),
        Config("whisper.cpp base (greedy)", _whispercpp("base")),
        Config("whisper.cpp tiny.en (greedy)", _whispercpp("tiny.en")),
        Config("faster-whisper base beam 5, 1 thread", _faster("base", 5, threads=1)),
    ]
    return found[:3] if quick else found


def run_config(index: int, audio: Path, repeats: int) -> dict[str, Any]:
    """One configuration in this process: load, then time ``repeats`` transcriptions."""
    config = configs(False)[index]
    transcribe = config.prepare()
    times: list[float] = []
    text = ""
    for _ in range(repeats):
        seconds, text = timed(lambda t=transcribe: t(audio))
        times.append(seconds)
    return {"times": times, "text": text}


def _child(index: int, audio: Path, repeats: int) -> dict[str, Any]:
    """Each configuration in a process of its own: one native library crashing (or two
    fighting over OpenMP) costs that row only, and every row starts with a clean heap."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.backends", str(index), str(audio), str(repeats)],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(corpus: Corpus, repeats: int, quick: bool = False) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    series: dict[str, Series] = {}
    for index, config in enumerate(configs(quick)):
        try:
            found = _child(index, corpus.path, repeats)
        except Exception as exc:  # a backend that cannot run here is reported, not fatal
            rows.append({"name": config.name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        series[config.name] = Series(found["times"])
        rows.append(
            {
                "name": config.name,
                "seconds": series[config.name].to_dict(),
                "realtime": corpus.duration / series[config.name].median,
                "wer": wer(corpus.text, found["text"]),
            }
        )
    reference = series.get(REFERENCE)
    for row in rows:
        if reference is not None and row["name"] in series:
            row["time_vs_reference"] = ratio(series[row["name"]], reference)
    return {
        "command": COMMAND,
        "audio_seconds": corpus.duration,
        "reference": REFERENCE,
        "repeats": repeats,
        "rows": rows,
    }


if __name__ == "__main__":
    print(json.dumps(run_config(int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))))
