"""What the in-process benchmarks share: one core, a machine-speed reference, per-call times.

A script imports it as a sibling (`from timing import ...`, its folder put on `sys.path`), so
it runs as `python benchmarks/X.py` from anywhere; the tests import it as `benchmarks.timing`.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def pin_to_one_core() -> None:
    """Run this process on one core (where the OS allows it): figures per core, not per box."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def calibration() -> float:
    """Microseconds for sum(range(1000)): a machine-speed reference."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(2000):
            sum(range(1000))
        best = min(best, (time.perf_counter() - start) / 2000 * 1e6)
    return best


def per_call(
    fn: Callable[[T], object], items: Iterable[T], *, repeat: int = 1, scale: float = 1e6
) -> tuple[float, float]:
    """Median (wall, CPU) time of one `fn(item)` over `items`, each timed over `repeat` calls,
    in seconds times `scale` (1e6: microseconds, 1e3: milliseconds). CPU time is what this
    process used: less disturbed by the other jobs of a shared machine than wall time."""
    wall, cpu = [], []
    for item in items:
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            fn(item)
        wall.append((time.perf_counter() - w0) / repeat * scale)
        cpu.append((time.process_time() - c0) / repeat * scale)
    return statistics.median(wall), statistics.median(cpu)
