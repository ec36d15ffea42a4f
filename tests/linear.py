"""Linear-time checks as ratios, not time limits: the machine running the tests is shared."""

from __future__ import annotations

import time
from collections.abc import Callable


def _best_of_three(run: Callable[[int], object], size: int) -> float:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        run(size)
        runs.append(time.perf_counter() - start)
    return min(runs)


def grows_linearly(run: Callable[[int], object], size: int) -> bool:
    """Four times the input costs about four times as long when linear, sixteen when
    quadratic: anything under eight passes (plus 50 ms for timer noise on tiny inputs)."""
    small, large = _best_of_three(run, size), _best_of_three(run, 4 * size)
    return large < 8 * small + 0.05
