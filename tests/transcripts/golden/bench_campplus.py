"""Time CAM++ in NumPy against the torch reference, same process, same inputs, one thread each.

Like ``make_campplus_golden.py`` this needs torch, so it runs only in the throwaway environment:

    OPENBLAS_NUM_THREADS=1 TORCHAUDIO_DIR=/tmp/ta /work/wt/torchenv/bin/python \\
        tests/transcripts/golden/bench_campplus.py

Both run on one thread (torch.set_num_threads(1), OpenBLAS pinned by the environment), as a
diarization worker does on a shared machine, and the figure is the ratio of the two in one run,
so that the machine's load cancels out. The workload is what a diarization pipeline embeds:
segments of 0.5 to 10 s of real meeting audio (AMI), each its own call, then all in one call
(``embed`` batches equal lengths). Each timing is the process's CPU time (on one thread, less
disturbed than wall time by the other processes of a busy machine), the best of ``ROUNDS``
interleaved rounds.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[3])]
from make_campplus_golden import MEDIA, load_kaldi, load_model  # noqa: E402

# campplus.py alone: the package's __init__ imports what this environment lacks (PyAV).
_spec = importlib.util.spec_from_file_location(
    "campplus", Path(__file__).parents[3] / "transcripts" / "diarization" / "campplus.py"
)
campplus = sys.modules["campplus"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(campplus)

ROUNDS = 5
LENGTHS = [0.5, 0.8, 1.0, 1.5, 1.5, 2.0, 3.0, 5.0, 10.0]  # seconds, 25.8 s in all


def main() -> None:
    torch.set_num_threads(1)
    kaldi, reference, ours = load_kaldi(), load_model(), campplus.load_campplus()
    samples, _ = soundfile.read(Path(MEDIA) / "ami" / "trn01.wav", dtype="float32")
    mixed, start = [], 0
    for seconds in LENGTHS:
        mixed.append(samples[start : start + int(seconds * 16000)])
        start += int(seconds * 16000) // 2
    # And 32 windows of 1.5 s every 0.6 s, as senko cuts speech: equal lengths, one batch.
    windows = [samples[n * 9600 : n * 9600 + 24000] for n in range(32)]
    for label, segments in (("mixed lengths 0.5-10 s", mixed), ("32 x 1.5 s", windows)):
        print(label)
        bench(kaldi, reference, ours, segments)


def bench(kaldi: object, reference: torch.nn.Module, ours: object, segments: list) -> None:
    audio = sum(len(wav) for wav in segments) / 16000

    def run_torch() -> np.ndarray:
        out = []
        with torch.no_grad():
            for wav in segments:
                feats = kaldi.fbank(
                    torch.from_numpy(wav)[None], num_mel_bins=80, sample_frequency=16000, dither=0.0
                )
                out.append(reference(feats[None] - feats.mean(dim=0, keepdim=True))[0].numpy())
        return np.stack(out)

    def run_numpy_each() -> np.ndarray:
        return np.concatenate([ours.embed([wav], relu=True) for wav in segments])

    def run_numpy_all() -> np.ndarray:
        return ours.embed(segments, relu=True)

    runs = {"torch": run_torch, "numpy, one call per segment": run_numpy_each}
    runs["numpy, one call for all"] = run_numpy_all
    best = dict.fromkeys(runs, float("inf"))
    outputs = {}
    for _ in range(ROUNDS):
        for name, run in runs.items():
            began = time.process_time()
            outputs[name] = run()
            best[name] = min(best[name], time.process_time() - began)
    for name in runs:
        difference = np.abs(outputs[name] - outputs["torch"]).max()
        print(
            f"{name:30s} {1000 * best[name] / audio:7.1f} ms CPU per s of audio, "
            f"{best[name] / best['torch']:5.2f}x torch, max |diff| {difference:.1e}"
        )


if __name__ == "__main__":
    main()
