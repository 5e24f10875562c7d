"""The one wall-clock timer of the benchmark scripts: best of ``repeat`` calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def seconds_and_result(
    fn: Callable[[], Any], repeat: int = 1, *, warmup: bool = False
) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls of ``fn`` and the result of the last call.

    With ``warmup`` one untimed call comes first, so imports and first-call caches are not
    counted.
    """
    if warmup:
        fn()
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def seconds(fn: Callable[[], Any], repeat: int = 1, *, warmup: bool = False) -> float:
    """Best wall time of ``repeat`` calls of ``fn`` (see :func:`seconds_and_result`)."""
    return seconds_and_result(fn, repeat, warmup=warmup)[0]
