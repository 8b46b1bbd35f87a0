"""resemblyzer's voice encoder, run in NumPy: a 3-layer LSTM over 40 mel channels, then a
linear layer, a ReLU and L2 normalisation, giving a 256-dimensional voice embedding.

The weights are resemblyzer's own ``pretrained.pt``, shipped in its wheel. We locate the file
through the import system without importing the package (its ``__init__`` imports torch), and
read it with ``checkpoint.load_legacy`` (no torch either).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from transcripts.diarization.checkpoint import load_legacy

HIDDEN = 256  # model_hidden_size
EMBEDDING = 256  # model_embedding_size
LAYERS = 3  # model_num_layers
PARTIAL_FRAMES = 160  # partials_n_frames: 1.6 s of 10 ms frames
# Overrides where the weights are read from (a path to a resemblyzer-format ``pretrained.pt``).
WEIGHTS_ENV = "LECTERN_VOICE_ENCODER_WEIGHTS"


class EncoderUnavailable(Exception):
    """The voice encoder's weights cannot be found; ``str(exc)`` says what to install."""


def weights_path() -> Path:
    override = os.environ.get(WEIGHTS_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise EncoderUnavailable(f"{WEIGHTS_ENV} names {path}, which does not exist.")
        return path
    spec = importlib.util.find_spec("resemblyzer")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "pretrained.pt"
        if path.is_file():
            return path
    raise EncoderUnavailable(
        "Speaker identification needs the voice encoder that ships with the resemblyzer "
        "package, which is not installed."
    )


@dataclass(frozen=True)
class _Layer:
    w_ih: np.ndarray  # (input, 4 * hidden), transposed for x @ w, gates reordered (see _gates)
    w_hh: np.ndarray  # (hidden, 4 * hidden)
    bias: np.ndarray  # b_ih + b_hh


# PyTorch stores the gates in the order input, forget, cell (g), output. We move g last, so that
# the three sigmoid gates are one contiguous block: i, f, o, g.
_ORDER = np.r_[0 : 2 * HIDDEN, 3 * HIDDEN : 4 * HIDDEN, 2 * HIDDEN : 3 * HIDDEN]


def _gates(weight: np.ndarray) -> np.ndarray:
    """PyTorch's (4 * hidden, ...) weight or bias with its gates as i, f, o, g, transposed."""
    return np.ascontiguousarray(weight[_ORDER].T, dtype=np.float32)


class VoiceEncoder:
    def __init__(self, state: dict[str, np.ndarray]) -> None:
        try:
            self.layers = [
                _Layer(
                    _gates(state[f"lstm.weight_ih_l{n}"]),
                    _gates(state[f"lstm.weight_hh_l{n}"]),
                    _gates(state[f"lstm.bias_ih_l{n}"] + state[f"lstm.bias_hh_l{n}"]),
                )
                for n in range(LAYERS)
            ]
            self.linear_w = np.ascontiguousarray(state["linear.weight"].T, dtype=np.float32)
            self.linear_b = state["linear.bias"].astype(np.float32)
        except KeyError as exc:
            raise EncoderUnavailable(f"The voice encoder's weights lack {exc}.") from None

    @classmethod
    def load(cls, path: Path | None = None) -> VoiceEncoder:
        checkpoint = load_legacy(path or weights_path())
        return cls(checkpoint["model_state"])

    def embed(self, mels: np.ndarray) -> np.ndarray:
        """(batch, frames, 40) mel windows of one length → (batch, 256) L2-normalised embeddings.

        As resemblyzer's ``VoiceEncoder.forward``: the last layer's final hidden state, through
        ``Linear(256, 256)`` and a ReLU, divided by its norm.
        """
        x = np.asarray(mels, dtype=np.float32)
        batch, frames, _ = x.shape
        h = np.zeros((batch, HIDDEN), dtype=np.float32)
        for number, layer in enumerate(self.layers):
            last = number == LAYERS - 1
            # The input half of every gate for every step at once; only h @ w_hh is sequential.
            inputs = np.ascontiguousarray((x @ layer.w_ih + layer.bias).transpose(1, 0, 2))
            outputs = None if last else np.empty((batch, frames, HIDDEN), dtype=np.float32)
            h = np.zeros((batch, HIDDEN), dtype=np.float32)
            c = np.zeros((batch, HIDDEN), dtype=np.float32)
            sig, gates = 3 * HIDDEN, np.empty((batch, 4 * HIDDEN), dtype=np.float32)
            for t in range(frames):
                np.matmul(h, layer.w_hh, out=gates)
                gates += inputs[t]
                # sigmoid(x) = (1 + tanh(x / 2)) / 2, which cannot overflow.
                ifo = gates[:, :sig]
                ifo *= 0.5
                np.tanh(ifo, out=ifo)
                ifo += 1.0
                ifo *= 0.5
                g = np.tanh(gates[:, sig:])
                c *= ifo[:, HIDDEN : 2 * HIDDEN]
                c += ifo[:, :HIDDEN] * g
                h = ifo[:, 2 * HIDDEN : sig] * np.tanh(c)
                if outputs is not None:
                    outputs[:, t] = h
            if outputs is not None:
                x = outputs
        raw = np.maximum(h @ self.linear_w + self.linear_b, 0.0)
        norm = np.linalg.norm(raw, axis=1, keepdims=True)
        return raw / np.maximum(norm, 1e-12)


@lru_cache(maxsize=1)
def default_encoder() -> VoiceEncoder:
    return VoiceEncoder.load()
