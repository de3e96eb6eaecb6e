"""Timing and peak-memory helpers shared by the benchmark scripts (Linux /proc)."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def reset_peak(pid: int | str = "self") -> bool:
    """Reset a process's peak resident set (VmHWM) so the next reading covers only what follows."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb(pid: int | str = "self") -> float:
    """Peak resident set (VmHWM) of a process in MiB; falls back to ru_maxrss for ourselves."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def repeat(fn: Callable[[], Any], times: int) -> tuple[list[float], Any]:
    """Run fn `times` times; every duration and the last result."""
    seconds, result = [], None
    for _ in range(times):
        took, result = timed(fn)
        seconds.append(took)
    return seconds, result


def summary(seconds: list[float]) -> str:
    return (
        f"median {statistics.median(seconds):.3f} s (best {min(seconds):.3f}, first {seconds[0]:.3f}, n={len(seconds)})"
    )
