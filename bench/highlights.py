"""Highlights: each agent's time against the transcription of the same lecture, and one clip's
render against the bare ffmpeg command it runs.

The lecture is tests/synth_video.lecture_video (slides + camera, three topics, ~100 s). Every stage
is the function the pipeline calls, fed what the previous one returned. For the clip, the
ffmpeg command that ``render_clip`` runs is recorded and then run again by itself: the same trims,
crop/scale, captions and encoder settings, so the ratio is what ``render_clip`` adds around it
(probing the source and the output, frame-grid snapping, writing the captions).

The clips of the eight spoken lectures of bench/lectures.py are judged too (bench/judge.py):
flagged moments inside a clip, the clips' share of the lecture, the longest clip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench import judge
from bench.env import MODEL, REPO, loaded_backend
from bench.stats import Series, ratio, timed
from transcripts.backends.base import TranscribeOptions

COMMAND = ".venv/bin/python -m bench.run --only highlights"
FOLDER = REPO / "var" / "bench-cache" / "lecture"


def lecture() -> tuple[Path, Path, float]:
    meta = FOLDER / "lecture.json"
    if not meta.exists():
        from tests.synth_video import lecture_video

        made = lecture_video(FOLDER)
        meta.write_text(json.dumps({"duration": made.duration}))
    return FOLDER / "lecture.mp4", FOLDER / "lecture.wav", json.loads(meta.read_text())["duration"]


def _record_ffmpeg(calls: list[tuple[list[str], str]]) -> Any:
    real = subprocess.run

    def spy(command: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(command, list) and "-filter_complex" in command:
            calls.append(([str(part) for part in command], str(kwargs.get("cwd") or ".")))
        return real(command, *args, **kwargs)

    return spy


def measure(repeats: int) -> dict[str, Any]:
    from jobs.highlights.analysers import find_topics
    from jobs.highlights.compiler import render_clip
    from jobs.highlights.layout import detect_layout
    from jobs.highlights.selection import select_clips
    from jobs.highlights.silences import detect_silences
    from transcripts.media import read_wav

    video, audio, duration = lecture()
    backend = loaded_backend(MODEL)
    # The job's own transcription uses the app's default model; measured too, as a second reference.
    default = loaded_backend("base")
    times: dict[str, list[float]] = {
        name: []
        for name in (
            "transcription",
            "default_transcription",
            "layout",
            "silences",
            "analysis",
            "selection",
        )
    }
    selection: Any = None
    layout: Any = None
    segments: list[Any] = []
    for _ in range(repeats):
        seconds, result = timed(lambda: backend.transcribe(audio, TranscribeOptions("en")))
        times["transcription"].append(seconds)
        segments = result.segments
        seconds, _ = timed(lambda: default.transcribe(audio, TranscribeOptions("en")))
        times["default_transcription"].append(seconds)
        seconds, layout = timed(lambda: detect_layout(video))
        seg, lay = segments, layout
        times["layout"].append(seconds)
        seconds, found = timed(lambda: detect_silences(read_wav(audio), min_silence=0.5))
        times["silences"].append(seconds)
        silences = [(float(a), float(b)) for a, b in found.silences]
        seconds, analysis = timed(
            lambda s=silences, seg=seg, lay=lay: find_topics(
                seg, duration=duration, silences=s,
                slide_changes=list(lay.slide_changes), language="en",
            )
        )  # fmt: skip
        times["analysis"].append(seconds)
        seconds, selection = timed(
            lambda s=silences, a=analysis, seg=seg: select_clips(
                seg, a.topics, s, count=12, min_length=20, max_length=60, max_pause=0.8
            )
        )
        times["selection"].append(seconds)
    series = {name: Series(values) for name, values in times.items()}
    stages = {
        name: {
            "seconds": series[name].to_dict(),
            "vs_transcription": ratio(series[name], series["transcription"]),
        }
        for name in ("layout", "silences", "analysis", "selection")
    }
    all_but_render = Series([sum(times[name][i] for name in stages) for i in range(repeats)])
    result: dict[str, Any] = {
        "command": COMMAND,
        "model": MODEL,
        "lecture_seconds": duration,
        "transcription_seconds": series["transcription"].to_dict(),
        "stages": stages,
        "all_but_render_vs_transcription": ratio(all_but_render, series["transcription"]),
        "default_transcription_seconds": series["default_transcription"].to_dict(),
        "all_but_render_vs_default_transcription": ratio(
            all_but_render, series["default_transcription"]
        ),
        "goal_stages": "all stages but rendering ≤ 0.25× transcription",
        "clips_selected": len(selection.clips) if selection else 0,
        # Issue 26: the clips of the eight spoken bench lectures against their flagged moments.
        "lectures": judge.measure("clips"),
    }
    if selection is None or not selection.clips:
        result["render"] = {"error": "no clip was selected, nothing to render"}
        return result
    out = REPO / "var" / "bench-cache" / "render"
    shutil.rmtree(out, ignore_errors=True)
    clip = selection.clips[0]
    import jobs.highlights.compiler as compiler

    render_times: list[float] = []
    plain_times: list[float] = []
    calls: list[tuple[list[str], str]] = []
    for index in range(repeats):
        original = compiler.subprocess.run
        compiler.subprocess.run = _record_ffmpeg(calls)  # type: ignore[assignment]
        try:
            seconds, rendered = timed(
                lambda: render_clip(
                    video, clip, segments, out / "clip.mp4", layout="vertical", regions=layout
                )
            )
        finally:
            compiler.subprocess.run = original  # type: ignore[assignment]
        render_times.append(seconds)
        command, cwd = calls[-1]
        seconds, done = timed(
            lambda c=command, w=cwd: subprocess.run(c, cwd=w, capture_output=True)
        )
        if done.returncode != 0:
            raise RuntimeError(f"the plain ffmpeg command failed: {done.stderr[-300:]!r}")
        plain_times.append(seconds)
        del index
    render_s, plain_s = Series(render_times), Series(plain_times)
    result["render"] = {
        "clip_seconds": rendered.duration,
        "arrangement": rendered.arrangement,
        "size": [rendered.width, rendered.height],
        "render_clip_seconds": render_s.to_dict(),
        "plain_ffmpeg_seconds": plain_s.to_dict(),
        "render_vs_plain": ratio(render_s, plain_s),
        "plain_command": " ".join(["ffmpeg", *calls[-1][0][1:]]),
        "goal": "render_clip ≤ 1.25× plain ffmpeg",
    }
    return result
