"""Scores against a known truth: word error rate with the usual normalisation (case, punctuation,
spelled numbers aside), and speaker attribution by speech time."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import jiwer
import numpy as np

if TYPE_CHECKING:
    from transcripts.diarization import Diarization


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ")
    text = text.replace("'", "")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def recovered(reference: str, hypothesis: str) -> float:
    """Share of the reference's characters (letters and digits, case and spacing aside) that the
    hypothesis holds in the same order: how much of a passage came through, whatever its
    spelling errors and word splits ("unter folgenden" / "unterfolgenden" count alike)."""
    from difflib import SequenceMatcher

    a, b = (re.sub(r"[\W_]", "", normalise(text)) for text in (reference, hypothesis))
    if not a:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(a)


def speaker_accuracy(
    diarization: Diarization,
    truth: list[tuple[float, float, int]],
    end: float,
) -> float:
    """Share of the true speech time given to the right speaker, under the best label mapping."""
    grid = np.arange(0, end, 0.01)
    reference = np.full(len(grid), -1)
    for start, stop, speaker in truth:
        reference[(grid >= start) & (grid < stop)] = speaker
    hypothesis = np.full(len(grid), -1)
    for start, stop, label in diarization.turns:
        hypothesis[(grid >= start) & (grid < stop)] = diarization.labels.index(label)
    spoken = reference >= 0
    best = 0.0
    for mapping in ([0, 1], [1, 0]):
        lookup = np.array([*mapping, *range(2, 10)])
        guessed = np.where(hypothesis >= 0, lookup[hypothesis.clip(0)], -1)
        best = max(best, float(np.mean(guessed[spoken] == reference[spoken])))
    return best
