"""Word error rate with the usual normalisation (case, punctuation, spelled numbers aside)."""

from __future__ import annotations

import re

import jiwer


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ")
    text = text.replace("'", "")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))
