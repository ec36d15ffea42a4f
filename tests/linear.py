"""Linear-time checks as ratios, not time limits: the machine running the tests is shared."""

from __future__ import annotations

import time
from collections.abc import Callable


def _best_of_three(run: Callable[[int], object], size: int) -> float:
    """CPU seconds of this process: time spent waiting for a core that other work holds
    is not the code's (wall time made these checks fail under load)."""
    runs = []
    for _ in range(3):
        start = time.process_time()
        run(size)
        runs.append(time.process_time() - start)
    return min(runs)


def grows_linearly(run: Callable[[int], object], size: int) -> bool:
    """Four times the input costs about four times as long when linear, sixteen when
    quadratic: anything under eight passes (plus 50 ms for timer noise on tiny inputs).
    Measured twice before failing: a quadratic cost fails both, a noisy moment not."""
    for _ in range(2):
        small, large = _best_of_three(run, size), _best_of_three(run, 4 * size)
        if large < 8 * small + 0.05:
            return True
    return False
