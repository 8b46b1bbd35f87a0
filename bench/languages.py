"""Mixed-language recordings: how much of each language's speech survives language detection.

Inputs, each with the time span of every language in it:

- ``multilingual.mp3`` from ../shared/media (a real reader: the MIT licence in English, then in
  German). Lectern's per-stretch detection was developed on it, so it is the *tuning* input.
- Held out (never looked at while the detection was written): synthetic lectures spoken by
  espeak-ng's voices in English and German, and French and English, with known text.

For each language span the figure is the share of the reference's content (its letters in
order, spelling slips and word splits aside: ``tests.wer.recovered``) that the whole-file run with the language left to detect recovers in that span, divided by
the share that the same model recovers when told the language and given only that span (what the
issue calls "a forced-language run"). The reference is the true text where it is known (the
synthetic inputs), else that told run itself. "Before" is faster-whisper's own single detection for the whole file, as Lectern did
until now; "after" is Lectern's backend (detection per stretch of speech). Also: the speech
check (speech the detector heard, what no line covers, lines taken out), and the cost of the
detection, as the time of the whole-file run against a plain one in the same run: on the
bilingual file, each language's span transcribed told its language; on the 2-minute English
bench file (where detection finds nothing to change), the file told "en".
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.env import CACHE, REPO
from bench.stats import Series, ratio, timed

COMMAND = ".venv/bin/python -m bench.run --only languages"
FOLDER = REPO / "var" / "bench-cache" / "languages"
MODEL = "base"  # the app's default, and the only bundled model that knows German

ENGLISH = [
    "Today we look at how plants turn light into chemical energy. The leaf is a small factory, "
    "and its machines sit inside the chloroplasts.",
    "To sum up, light reactions make the energy carriers, and the Calvin cycle spends them to "
    "build sugar from carbon dioxide.",
]
GERMAN = (
    "Nun wiederholen wir das Ganze auf Deutsch. Die Pflanze nimmt Licht auf und speichert die "
    "Energie in Zucker. Dafür braucht sie Wasser, Kohlendioxid und die grünen Blattkörper."
)
FRENCH = (
    "Bonjour à tous. Aujourd'hui nous parlons de la révolution française et de ses causes. "
    "La crise financière du royaume a joué un rôle très important."
)
ENGLISH_AFTER_FRENCH = (
    "Let us now continue in English. The financial crisis of the kingdom forced the king to call "
    "the estates general, and that meeting changed everything."
)


@dataclass(frozen=True)
class Input:
    name: str
    path: Path
    spans: list[tuple[str, float, float]]  # (language, start, end)
    held_out: bool
    texts: list[str] | None = None  # the true text of each span, when known


def _wav(source: Path, target: Path) -> Path:
    from transcripts.media import ffmpeg_exe

    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
             "-ac", "1", "-ar", "16000", str(target)],
            check=True,
        )  # fmt: skip
    return target


def _synthetic(name: str, parts: list[tuple[str, str, str]]) -> Input:
    """``parts``: (language, espeak-ng voice, text), spoken in turn with 1.2 s pauses."""
    from tests.synth import speech

    path = FOLDER / f"{name}.wav"
    texts = [text for _language, _voice, text in parts]
    made = speech(texts, path, pause=1.2, voices=[voice for _l, voice, _t in parts])
    spans = [(language, a, b) for (language, _v, _t), (a, b) in zip(parts, made.spans, strict=True)]
    return Input(name, path, spans, held_out=True, texts=texts)


def inputs() -> list[Input]:
    from tests.conftest import shared_media

    real = _wav(shared_media("multilingual.mp3"), FOLDER / "multilingual.wav")
    return [
        Input("multilingual.mp3 (real)", real, [("en", 0.0, 29.9), ("de", 29.9, 60.0)], False),
        _synthetic(
            "en-de-en (espeak-ng)",
            [("en", "en-us", ENGLISH[0]), ("de", "de", GERMAN), ("en", "en-us", ENGLISH[1])],
        ),
        _synthetic(
            "fr-en (espeak-ng)", [("fr", "fr", FRENCH), ("en", "en-us", ENGLISH_AFTER_FRENCH)]
        ),
    ]


def _in_span(segments: list[Any], start: float, end: float) -> list[Any]:
    return [s for s in segments if start <= (s.start + s.end) / 2 < end]


def measure(repeats: int, english_file: Any) -> dict[str, Any]:
    import numpy as np
    from faster_whisper.audio import decode_audio

    from tests.wer import recovered
    from transcripts.backends.base import SegmentResult, TranscribeOptions
    from transcripts.backends.faster_whisper import FasterWhisperBackend
    from transcripts.speech import check

    backend = FasterWhisperBackend(model=MODEL, cache_dir=CACHE, beam_size=5)
    whisper = backend.load()

    def single_detection(path: Path) -> list[SegmentResult]:
        """faster-whisper's own: one language for the whole file (Lectern's previous way)."""
        pieces, _info = whisper.transcribe(
            str(path), beam_size=5, vad_filter=True, word_timestamps=True,
            condition_on_previous_text=True, compression_ratio_threshold=2.4,
            no_speech_threshold=0.6, hallucination_silence_threshold=2.0,
        )  # fmt: skip
        return [SegmentResult(float(p.start), float(p.end), p.text.strip()) for p in pieces]

    rows = []
    for item in inputs():
        samples = decode_audio(str(item.path), sampling_rate=16000)
        after_seconds, after = timed(lambda p=item.path: backend.transcribe(p, TranscribeOptions()))
        before_seconds, before = timed(lambda p=item.path: single_detection(p))
        after.segments, checked = check(item.path, after.segments)
        spans = []
        for index, (language, start, end) in enumerate(item.spans):
            # The run told the language gets its span with a little of the pauses around it,
            # so that no word at an edge is cut.
            first, last = max(0.0, start - 0.4), end + 0.4
            piece = np.ascontiguousarray(samples[int(first * 16000) : int(last * 16000)])
            pieces, _info = whisper.transcribe(
                piece, language=language, beam_size=5, vad_filter=True
            )
            told = " ".join(p.text for p in pieces)
            found_after = _in_span(after.segments, start, end)
            after_text = " ".join(s.text for s in found_after)
            before_text = " ".join(s.text for s in _in_span(before, start, end))
            labelled = sum(s.end - s.start for s in found_after if s.language == language)
            total = sum(s.end - s.start for s in found_after) or 1.0
            # Against the true text where it is known (the share of it each run got right),
            # else against the run told the language.
            reference = item.texts[index] if item.texts else told
            told_share = recovered(reference, told)
            row = {
                "language": language,
                "start": start,
                "end": end,
                "reference": "truth" if item.texts else "told",
                "told": told_share,
                "before": recovered(reference, before_text),
                "after": recovered(reference, after_text),
                "after_vs_told": recovered(reference, after_text) / told_share
                if told_share
                else 1.0,
                "labelled_right": labelled / total,
            }
            spans.append(row)
        rows.append(
            {
                "input": item.name,
                "held_out": item.held_out,
                "spans": spans,
                "languages": after.languages,
                "speech_seconds": checked.speech_seconds,
                "missing_seconds": checked.missing_seconds,
                "missing": checked.missing,
                "removed": [r.to_dict() for r in checked.removed],
                "after_seconds": after_seconds,
                "before_seconds": before_seconds,
            }
        )

    # The cost of detecting per stretch. Bilingual: against transcribing each language's span
    # told its language (what a perfect detector would cost); English: against telling the
    # backend "en" (detection that finds nothing to change).
    bilingual = inputs()[0]
    bilingual_samples = decode_audio(str(bilingual.path), sampling_rate=16000)

    def forced_spans() -> None:
        for language, start, end in bilingual.spans:
            piece = bilingual_samples[int(start * 16000) : int(end * 16000)]
            pieces, _info = whisper.transcribe(
                np.ascontiguousarray(piece), language=language, beam_size=5, vad_filter=True,
                word_timestamps=True,
            )  # fmt: skip
            list(pieces)

    costs = {}
    for name, path, plain_run in (
        ("bilingual", bilingual.path, forced_spans),
        (
            "english",
            english_file.path,
            lambda: backend.transcribe(english_file.path, TranscribeOptions(language="en")),
        ),
    ):
        auto, plain = [], []
        for _ in range(repeats):
            auto.append(timed(lambda p=path: backend.transcribe(p, TranscribeOptions()))[0])
            plain.append(timed(plain_run)[0])
        costs[name] = {
            "auto": Series(auto).to_dict(),
            "plain": Series(plain).to_dict(),
            "ratio": ratio(Series(auto), Series(plain)),
        }
    return {"command": COMMAND, "model": MODEL, "rows": rows, "costs": costs}
