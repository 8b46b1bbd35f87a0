"""Figures: repeated timings summarised as median and min-max, and ratios between two of them."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Series:
    """One measurement repeated: seconds (or MiB, or any unit) per repeat."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "median": self.median,
            "min": min(self.values),
            "max": max(self.values),
            "n": len(self.values),
            "values": self.values,
        }


def ratio(numerator: Series, denominator: Series) -> dict[str, Any]:
    """Median ratio, and its spread from the pairwise ratios of the repeats (same repeat index,
    so that a slow moment of the shared machine lands on both sides)."""
    pairs = [a / b for a, b in zip(numerator.values, denominator.values, strict=False) if b > 0]
    if not pairs:
        pairs = [numerator.median / denominator.median]
    return {
        "median": statistics.median(pairs),
        "min": min(pairs),
        "max": max(pairs),
        "n": len(pairs),
        "values": pairs,
    }


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def fmt_ratio(figure: dict[str, Any], digits: int = 2) -> str:
    if figure.get("n", 1) > 1:
        return (
            f"{figure['median']:.{digits}f}× ({figure['min']:.{digits}f}–{figure['max']:.{digits}f},"
            f" n={figure['n']})"
        )
    return f"{figure['median']:.{digits}f}× (n=1)"
