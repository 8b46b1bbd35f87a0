"""One transcription in a process of its own, for its peak RSS: ``python -m bench.memory_child
AUDIO [--whole]``. Runs the real transcription stage (jobs.pipeline.stages.transcribe) with the settings
bench.env.prepare() put in the environment. ``--whole`` turns the faster-whisper backend's
windowing off (the code path before the optimisation). Prints one JSON line."""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path


def _vmhwm_kib() -> int:
    """This process's own peak RSS. Unlike ``ru_maxrss``, which Linux carries over an exec from
    the forking parent (so a child of a big bench process would never look smaller than it),
    ``VmHWM`` belongs to the new address space only."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("audio", type=Path)
    parser.add_argument("--whole", action="store_true")
    parser.add_argument("--load-only", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    from jobs.pipeline.stages.transcribe import transcribe
    from transcripts.backends import faster_whisper
    from transcripts.backends.base import TranscribeOptions
    from transcripts.media import wav_duration

    if args.whole:
        faster_whisper.CHUNK_SECONDS = 0
    started = time.perf_counter()
    if args.load_only:
        faster_whisper.FasterWhisperBackend(
            model=os.environ["LECTERN_MODEL"], cache_dir=Path(os.environ["LECTERN_CACHE_DIR"])
        ).load()
        segments = 0
    else:
        done = transcribe(
            args.audio, TranscribeOptions(), duration=wav_duration(args.audio), backend=None
        )
        segments = len(done.result.segments)
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "segments": segments,
                "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "vmhwm_kib": _vmhwm_kib(),
            }
        )
    )


if __name__ == "__main__":
    main()
