"""Grouping voice embeddings by speaker: pyannote's agglomerative clustering.

As pyannote.audio's ``AgglomerativeClustering`` (speaker-diarization-3.x): unit-length embeddings,
SciPy's hierarchical clustering with centroid linkage on Euclidean distances, the tree cut at
``THRESHOLD``; clusters smaller than ``min_cluster_size`` (12, or a tenth of the embeddings when
there are few) are not speakers of their own but join the nearest large cluster. The number of
speakers is therefore what the clustering finds. A given count, or bounds on it, are honoured the
way pyannote does: walk the tree's merges from the one nearest the threshold outwards until the
number of large clusters is the one wanted.

The threshold is for CAM++ embeddings (pyannote's 0.7046 is for its WeSpeaker ResNet34); chosen on
the tuning half of the AMI excerpts (trn00-04) and on synthetic speech, see docs/benchmarks.md.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist

# Euclidean distance between unit-length centroids (sqrt(2 - 2 cos)) above which two clusters
# are two speakers.
THRESHOLD = 0.80
MIN_CLUSTER_SIZE = 12
# Centroid linkage needs the whole tree in memory (n^2 / 2 distances): longer recordings are
# clustered on an even sample of this many embeddings, the rest going to the nearest centroid.
MAX_POINTS = 4000


def cluster(
    embeddings: np.ndarray,
    *,
    speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    threshold: float = THRESHOLD,
) -> np.ndarray:
    """A cluster number (0, 1, ...) for each embedding (a row of ``embeddings``)."""
    x = np.asarray(embeddings, dtype=np.float64)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=int)
    if speakers is not None and speakers < 1:
        raise ValueError("speakers must be at least 1.")
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    low = speakers or min_speakers or 1
    high = speakers or max_speakers or n
    if n < 2 or high < 2:
        return np.zeros(n, dtype=int)
    sample = np.arange(n)
    if n > MAX_POINTS:
        sample = np.linspace(0, n - 1, MAX_POINTS).round().astype(int)
    labels = _agglomerate(x[sample], low=low, high=high, wanted=speakers, threshold=threshold)
    if n > MAX_POINTS:
        labels = np.argmax(x @ _centroids(x[sample], labels).T, axis=1)
    return _renumber(labels)


def _agglomerate(
    x: np.ndarray, *, low: int, high: int, wanted: int | None, threshold: float
) -> np.ndarray:
    n = len(x)
    min_size = min(MIN_CLUSTER_SIZE, max(1, round(0.1 * n)))
    tree = linkage(x, method="centroid", metric="euclidean")
    clusters = fcluster(tree, threshold, criterion="distance") - 1
    large = _large(clusters, min_size)
    if wanted is None and len(large) < low:
        wanted = low
    elif wanted is None and len(large) > high:
        wanted = high
    if wanted is not None and len(large) != wanted:
        # pyannote: cut by merge index instead, trying merges ever further from the threshold.
        ranked = tree.copy()
        ranked[:, 2] = np.arange(n - 1)
        best, best_count = n - 1, 1
        for iteration in np.argsort(np.abs(tree[:, 2] - threshold)):
            if ranked[iteration, 3] < min_size:
                continue
            candidate = fcluster(ranked, iteration, criterion="distance") - 1
            count = len(_large(candidate, min_size))
            if abs(count - wanted) < abs(best_count - wanted):
                best, best_count = iteration, count
            if count == wanted:
                break
        clusters = fcluster(ranked, best, criterion="distance") - 1
        large = _large(clusters, min_size)
    if len(large) == 0:
        return np.zeros(n, dtype=int)
    small = [k for k in np.unique(clusters) if k not in set(large.tolist())]
    if small:
        # Small clusters join the large cluster with the nearest centroid.
        large_c = np.vstack([x[clusters == k].mean(axis=0) for k in large])
        small_c = np.vstack([x[clusters == k].mean(axis=0) for k in small])
        nearest = np.argmin(cdist(large_c, small_c, metric="cosine"), axis=0)
        for k, j in zip(small, nearest.tolist(), strict=True):
            clusters[clusters == k] = large[j]
    return _renumber(clusters)


def _large(clusters: np.ndarray, min_size: int) -> np.ndarray:
    values, counts = np.unique(clusters, return_counts=True)
    return values[counts >= min_size]


def count_margin(embeddings: np.ndarray, threshold: float = THRESHOLD) -> float | None:
    """How near the estimated count came to being another: the distance between the threshold
    and the merge nearest to it (made or refused). Near 0, one speaker more or fewer was almost
    as likely; None with under two embeddings.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if len(x) < 2:
        return None
    if len(x) > MAX_POINTS:
        x = x[np.linspace(0, len(x) - 1, MAX_POINTS).round().astype(int)]
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    heights = linkage(x, method="centroid", metric="euclidean")[:, 2]
    return float(np.min(np.abs(heights - threshold)))


def _centroids(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    rows = []
    for j in range(labels.max() + 1):
        members = x[labels == j]
        mean = members.mean(axis=0) if len(members) else np.zeros(x.shape[1])
        rows.append(mean / max(np.linalg.norm(mean), 1e-12))
    return np.array(rows)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers 0, 1, ... in order of first appearance."""
    order: dict[int, int] = {}
    for value in labels.tolist():
        order.setdefault(value, len(order))
    return np.array([order[value] for value in labels.tolist()], dtype=int)
