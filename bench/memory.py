"""Worker memory: peak RSS of the transcription stage on 10 and 60 minutes of audio.

Each size runs in a fresh process (bench.memory_child); its peak RSS is the ``VmHWM`` that process
reads from /proc/self/status as it ends (not ``ru_maxrss``: Linux carries that over an exec from
the forking parent, so every child would look at least as big as the bench process). The 60-minute file is the 10-minute
one looped six times with ffmpeg's concat demuxer. The long file runs twice: with the backend's
windowed path (the default) and with ``--whole`` (the whole file at once, as before the change).
A process that only loads the model gives the floor that neither can go under.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import env
from bench.corpus import Corpus

COMMAND = ".venv/bin/python -m bench.run --only memory"


def child(audio: Path, *flags: str) -> dict[str, Any]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.memory_child", str(audio), *flags],
        cwd=env.REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"memory child failed: {err.decode()[-800:]}")
    line = json.loads(out.decode().strip().splitlines()[-1])
    # VmHWM from the child itself: ru_maxrss (here from wait4) includes the bench process's own
    # RSS at the fork, because Linux keeps the high-water mark across exec.
    line["maxrss_mib"] = line["vmhwm_kib"] / 1024
    line["wait4_maxrss_mib"] = usage.ru_maxrss / 1024
    return line


def measure(short: Corpus, long: Corpus) -> dict[str, Any]:
    floor = child(short.path, "--load-only")
    small = child(short.path)
    large = child(long.path)
    large_whole = child(long.path, "--whole")
    small_whole = small if short.duration <= 600 + 120 else child(short.path, "--whole")
    return {
        "command": COMMAND,
        "model": env.MODEL,
        "short_seconds": short.duration,
        "long_seconds": long.duration,
        "model_loaded_mib": floor["maxrss_mib"],
        "windowed": {
            "short_mib": small["maxrss_mib"],
            "long_mib": large["maxrss_mib"],
            "growth": large["maxrss_mib"] / small["maxrss_mib"],
            "long_realtime": long.duration / large["seconds"],
        },
        "whole": {
            "short_mib": small_whole["maxrss_mib"],
            "long_mib": large_whole["maxrss_mib"],
            "growth": large_whole["maxrss_mib"] / small_whole["maxrss_mib"],
            "long_realtime": long.duration / large_whole["seconds"],
        },
        "goal": "peak RSS(60 min) ≤ 1.2× peak RSS(10 min)",
    }
