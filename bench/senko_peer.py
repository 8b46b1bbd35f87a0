"""The peer, run by ``bench.speakers`` inside a throwaway environment with torch and senko 0.2.2
(never the project's): ``python bench/senko_peer.py OUT.json WAV...`` diarizes each 16 kHz mono
16-bit WAV with senko's CPU pipeline (Silero VAD, CAM++, spectral clustering; count estimated)
and writes ``{name: [[start, end, speaker], ...]}`` plus the seconds each took."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    import senko

    out, paths = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    diarizer = senko.Diarizer(device="cpu", warmup=True, quiet=True)
    result: dict[str, dict] = {}
    for path in paths:
        start = time.perf_counter()
        found = diarizer.diarize(str(path))
        seconds = time.perf_counter() - start
        segments = (found or {}).get("merged_segments") or []
        result[path.stem] = {
            "turns": [[s["start"], s["end"], str(s["speaker"])] for s in segments],
            "seconds": seconds,
        }
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
