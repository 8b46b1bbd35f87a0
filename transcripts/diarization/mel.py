"""The mel spectrogram resemblyzer's voice encoder was trained on, in NumPy.

resemblyzer (``audio.wav_to_mel_spectrogram``) calls ``librosa.feature.melspectrogram`` with
``sr=16000``, ``n_fft=400`` (25 ms), ``hop_length=160`` (10 ms) and ``n_mels=40``, and librosa's
defaults for the rest: a periodic Hann window as long as ``n_fft``, centred frames (the signal
padded by ``n_fft // 2`` on both sides), the power spectrum (``power=2``), and Slaney-style mel
filters (``htk=False``, ``norm="slaney"``, 0 Hz to Nyquist). It is *not* a log spectrogram.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from transcripts.media import SAMPLE_RATE

N_FFT = 400  # mel_window_length = 25 ms
HOP = 160  # mel_window_step = 10 ms
N_MELS = 40  # mel_n_channels
INT16_MAX = 2**15 - 1


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa with ``htk=False``): linear to 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        hz >= min_log_hz,
        min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep,
        hz / f_sp,
    )


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(
        mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel
    )


def mel_filters(
    sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS, fmin: float = 0.0
) -> np.ndarray:
    """``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)``: (n_mels, 1 + n_fft // 2)."""
    fmax = sr / 2
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    # Slaney normalisation: each triangle has (about) the same area.
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def hann(n: int = N_FFT) -> np.ndarray:
    """The periodic Hann window (``scipy.signal.get_window("hann", n, fftbins=True)``)."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


_FILTERS = mel_filters()
_WINDOW = hann()


def frame_count(n_samples: int) -> int:
    """How many centred frames librosa makes of ``n_samples`` samples."""
    return 1 + n_samples // HOP


def mel_spectrogram(wav: np.ndarray, *, scale: float = 1.0, block_frames: int = 6000) -> np.ndarray:
    """(frames, 40) float32 power mel spectrogram of a waveform at 16 kHz, times ``scale``.

    ``scale`` turns the samples into floats in [-1, 1] (``1 / 32768`` for int16, as librosa).

    Computed in blocks of ``block_frames`` frames (a minute by default), so that a three-hour
    recording never needs its whole short-time Fourier transform in memory at once.
    """
    wav = np.asarray(wav)
    total = frame_count(len(wav))
    out = np.empty((total, N_MELS), dtype=np.float32)
    for first, block in _blocks(wav, total, block_frames, scale):
        out[first : first + len(block)] = block
    return out


def _blocks(
    wav: np.ndarray, total: int, block_frames: int, scale: float
) -> Iterator[tuple[int, np.ndarray]]:
    half = N_FFT // 2
    n = len(wav)
    for first in range(0, total, block_frames):
        count = min(block_frames, total - first)
        # Samples [first * HOP - half, (first + count - 1) * HOP + half) of the padded signal.
        start = first * HOP - half
        stop = (first + count - 1) * HOP + half
        piece = np.asarray(wav[max(0, start) : min(n, stop)], dtype=np.float32)
        left, right = max(0, -start), max(0, stop - n)
        if left or right:
            # librosa < 0.10 (what the encoder was trained with) pads by reflection.
            piece = _reflect_pad(wav, start, stop)
        if scale != 1.0:
            piece = piece * np.float32(scale)
        frames = np.lib.stride_tricks.sliding_window_view(piece, N_FFT)[::HOP][:count]
        spectrum = np.fft.rfft(frames * _WINDOW, axis=1)
        power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
        yield first, power @ _FILTERS.T


def _reflect_pad(wav: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``wav[start:stop]`` where indices outside the signal reflect at its ends (no edge repeat)."""
    n = len(wav)
    index = np.arange(start, stop)
    if n == 1:
        index = np.zeros_like(index)
    else:
        period = 2 * (n - 1)
        index = np.abs(index) % period
        index = np.where(index >= n, period - index, index)
    return np.asarray(wav[index], dtype=np.float32)
