"""What this machine offers the transcription backends: an Apple GPU, NVIDIA GPUs, CPU cores.

Plain Python, no Django, so the registry, ``manage.py backends`` and the benchmarks agree.
"""

from __future__ import annotations

import os
import platform
import sys

from transcripts.backends.faster_whisper import cuda_device_count as count


def is_apple_silicon() -> bool:
    return sys.platform == "darwin" and platform.machine() == "arm64"


def cuda_device_count() -> int:
    """NVIDIA GPUs CTranslate2 can use (0 when it, or CUDA, is missing or broken)."""

    return count()


def cpu_count() -> int:
    """Cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


def describe() -> str:
    if is_apple_silicon():
        return f"Apple Silicon ({cpu_count()} cores)"
    gpus = cuda_device_count()
    if gpus:
        return f"{gpus} NVIDIA GPU{'s' if gpus > 1 else ''}, {cpu_count()} CPU cores"
    return f"CPU only, {cpu_count()} cores"
