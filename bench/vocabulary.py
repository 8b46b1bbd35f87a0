"""Slide text: how much the slide glossary helps transcription, and what reading the slides costs.

The lecture is tests/synth_slides.slides_lecture: three slides that name rare terms ("rubisco",
"Robespierre", "Avogadro", ...) and a lecturer who says them. The slides are read as the pipeline
reads them (layout, then Tesseract at each slide change); their distinctive terms become the
initial prompt. Each model transcribes the lecture plainly and with that prompt, in the same run:
the figures are the term error rate (occurrences of the terms not spelled out) both ways, the
whole text's WER both ways, and the prompted run's time against the plain one. Reading the slides
is timed against the plain transcription with the app's default model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bench.env import REPO, loaded_backend
from bench.stats import Series, ratio, timed
from transcripts.backends.base import TranscribeOptions

COMMAND = ".venv/bin/python -m bench.run --only vocabulary"
FOLDER = REPO / "var" / "bench-cache" / "slides-lecture"
MODELS = ("tiny.en", "base")


def lecture() -> tuple[Path, Path, float, str]:
    meta = FOLDER / "slides.json"
    if not meta.exists():
        from tests.synth_slides import slides_lecture

        made = slides_lecture(FOLDER)
        meta.write_text(json.dumps({"duration": made.duration, "text": made.text}))
    data = json.loads(meta.read_text())
    return FOLDER / "slides.mp4", FOLDER / "slides.wav", data["duration"], data["text"]


def measure(repeats: int) -> dict[str, Any]:
    from jobs.highlights.layout import detect_layout
    from jobs.highlights.vocabulary import distinctive_terms, glossary_prompt
    from jobs.pipeline.stages.slides import read_slides
    from tests.synth_slides import TERMS, term_error_rate
    from tests.wer import wer

    video, audio, duration, text = lecture()
    if not shutil.which("tesseract"):
        raise RuntimeError("tesseract is not installed (`make bench` installs it with apt-get)")
    layout = detect_layout(video)
    out = REPO / "var" / "bench-cache" / "slides-read"
    read_times: list[float] = []
    read: Any = None
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        seconds, read = timed(lambda: read_slides(video, layout, out, duration=duration))
        read_times.append(seconds)
    terms = distinctive_terms(read.texts)
    prompt = glossary_prompt(terms)

    rows: list[dict[str, Any]] = []
    default_plain: Series | None = None
    for model in MODELS:
        backend = loaded_backend(model)
        row: dict[str, Any] = {"model": model}
        series: dict[str, Series] = {}
        for name, options in (
            ("plain", TranscribeOptions(language="en")),
            ("prompted", TranscribeOptions(language="en", initial_prompt=prompt)),
        ):
            times, transcript = [], ""
            for _ in range(repeats):
                seconds, result = timed(lambda o=options, b=backend: b.transcribe(audio, o))
                times.append(seconds)
                transcript = result.text
            series[name] = Series(times)
            row[name] = {
                "term_error_rate": term_error_rate(text, transcript),
                "wer": wer(text, transcript),
                "text": transcript,
                "seconds": series[name].to_dict(),
            }
        row["prompted_vs_plain_time"] = ratio(series["prompted"], series["plain"])
        if model == "base":
            default_plain = series["plain"]
        rows.append(row)
    read_series = Series(read_times)
    return {
        "command": COMMAND,
        "lecture_seconds": duration,
        "slides": len(read.slides),
        "terms_scored": list(TERMS),
        "prompt": prompt,
        "rows": rows,
        "read_slides_seconds": read_series.to_dict(),
        "read_slides_vs_transcription": (
            ratio(read_series, default_plain) if default_plain is not None else None
        ),
    }
