"""Timing a function over many messages, for the per-message benchmarks."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass(frozen=True)
class PerMessage:
    """How long one call took, over every message and round."""

    calls: int
    mean_ms: float
    p99_ms: float


def per_message(function: Callable[[str], object], texts: Sequence[str], rounds: int) -> PerMessage:
    """Time `function` on each text, `rounds` times over, after one warm-up round."""
    for text in texts:
        function(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            function(text)
            timings.append(time.perf_counter() - started)
    timings.sort()
    return PerMessage(
        calls=len(timings),
        mean_ms=statistics.fmean(timings) * 1000,
        p99_ms=timings[int(len(timings) * 0.99)] * 1000,
    )


def once_ms(function: Callable[[str], object], text: str, repeat: int) -> float:
    """The mean time of `function(text)` over `repeat` calls, in milliseconds."""
    started = time.perf_counter()
    for _ in range(repeat):
        function(text)
    return (time.perf_counter() - started) / repeat * 1000
