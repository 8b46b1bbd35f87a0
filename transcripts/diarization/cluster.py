"""Grouping voice embeddings by speaker: spectral clustering on their cosine similarities.

NumPy only. The affinity matrix is pruned to each window's nearest neighbours (as in Wang et al.,
"Speaker diarization with LSTM", 2018), the number of speakers is read from the eigengap of the
normalised Laplacian when it is not given, and k-means on the spectral embedding does the rest.
Clusters whose voices are nearly the same are then merged, unless the caller fixed the number.
"""

from __future__ import annotations

import numpy as np

MAX_SPEAKERS = 8
# Two windows of one voice score about 0.8 or more with resemblyzer's encoder; two voices, less.
# Estimated clusters whose mean voices are this similar are one speaker.
SAME_SPEAKER = 0.86
# With fewer windows than this the similarity structure says nothing: one speaker.
MIN_WINDOWS = 4
# Clusters larger than this are clustered on an even sample, the rest assigned to the nearest.
MAX_POINTS = 1500


def cluster(
    embeddings: np.ndarray, *, speakers: int | None = None, max_speakers: int = MAX_SPEAKERS
) -> np.ndarray:
    """A cluster number (0, 1, ...) for each L2-normalised embedding (a row of ``embeddings``)."""
    x = np.asarray(embeddings, dtype=np.float64)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=int)
    if speakers is not None and speakers < 1:
        raise ValueError("speakers must be at least 1.")
    if n < MIN_WINDOWS or speakers == 1:
        return np.zeros(n, dtype=int)
    sample = np.arange(n)
    if n > MAX_POINTS:
        sample = np.linspace(0, n - 1, MAX_POINTS).round().astype(int)
    labels = _spectral(x[sample], speakers=speakers, max_speakers=max_speakers)
    if speakers is None:
        labels = _merge_similar(x[sample], labels)
    centroids = _centroids(x[sample], labels)
    if n > MAX_POINTS:
        labels = np.argmax(x @ centroids.T, axis=1)
    return _renumber(labels)


def _affinity(x: np.ndarray) -> np.ndarray:
    sim = np.clip(x @ x.T, 0.0, 1.0)
    n = len(x)
    # Keep each row's strongest links only, so that a few confusable windows cannot join two
    # speakers; then make the graph symmetric again.
    keep = min(n, max(4, round(0.15 * n)))  # counting the window itself
    threshold = -np.partition(-sim, keep - 1, axis=1)[:, keep - 1 : keep]
    pruned = np.where(sim >= threshold, sim, 0.0)
    pruned = np.maximum(pruned, pruned.T)
    np.fill_diagonal(pruned, 0.0)
    return pruned


def _spectral(x: np.ndarray, *, speakers: int | None, max_speakers: int) -> np.ndarray:
    n = len(x)
    affinity = _affinity(x)
    degree = affinity.sum(axis=1)
    inv_sqrt = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    normalised = affinity * inv_sqrt[:, None] * inv_sqrt[None, :]
    # The largest eigenvalues of D^-1/2 A D^-1/2 are 1 minus the smallest of the Laplacian.
    values, vectors = np.linalg.eigh(normalised)
    values, vectors = values[::-1], vectors[:, ::-1]
    top = min(max_speakers, n - 1)
    if speakers is None:
        gaps = values[:top] - values[1 : top + 1]
        k = int(np.argmax(gaps)) + 1
    else:
        k = min(speakers, n)
    if k == 1:
        return np.zeros(n, dtype=int)
    embedded = vectors[:, :k]
    embedded = embedded / np.maximum(np.linalg.norm(embedded, axis=1, keepdims=True), 1e-12)
    return _kmeans(embedded, k)


def _kmeans(x: np.ndarray, k: int, *, iterations: int = 100, seed: int = 0) -> np.ndarray:
    """Lloyd's k-means from a k-means++ start; deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    best_labels, best_cost = np.zeros(len(x), dtype=int), np.inf
    for _ in range(4):
        centres = [x[rng.integers(len(x))]]
        for _ in range(1, k):
            d2 = np.min([np.sum((x - c) ** 2, axis=1) for c in centres], axis=0)
            total = d2.sum()
            pick = rng.choice(len(x), p=d2 / total) if total > 0 else rng.integers(len(x))
            centres.append(x[pick])
        c = np.array(centres)
        labels = np.zeros(len(x), dtype=int)
        for _ in range(iterations):
            distances = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
            new = np.argmin(distances, axis=1)
            if np.array_equal(new, labels) and _ > 0:
                break
            labels = new
            for j in range(k):
                if np.any(labels == j):
                    c[j] = x[labels == j].mean(axis=0)
        cost = float(((x - c[labels]) ** 2).sum())
        if cost < best_cost:
            best_labels, best_cost = labels, cost
    return best_labels


def _centroids(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    rows = []
    for j in range(labels.max() + 1):
        members = x[labels == j]
        mean = members.mean(axis=0) if len(members) else np.zeros(x.shape[1])
        rows.append(mean / max(np.linalg.norm(mean), 1e-12))
    return np.array(rows)


def _merge_similar(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Join the two most similar clusters while their mean voices are one speaker's."""
    labels = _renumber(labels)
    while labels.max() > 0:
        centroids = _centroids(x, labels)
        sim = centroids @ centroids.T
        np.fill_diagonal(sim, -1.0)
        a, b = np.unravel_index(np.argmax(sim), sim.shape)
        if sim[a, b] < SAME_SPEAKER:
            break
        labels = _renumber(np.where(labels == b, a, labels))
    return labels


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers 0, 1, ... in order of first appearance."""
    order: dict[int, int] = {}
    for value in labels.tolist():
        order.setdefault(value, len(order))
    return np.array([order[value] for value in labels.tolist()], dtype=int)
