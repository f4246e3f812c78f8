"""The machine's speed, measured next to every repetition.

These machines change speed in phases of seconds (up to 1.7x). A short fixed reference
task timed right before each repetition says which phase the repetition ran in, so the
analysis can flag slow phases instead of mistaking them for an effect. Two probes: one
holds the GIL (pure Python), one releases it (hashlib over a large buffer).

Standard library only (see ``showdown/__init__.py``).
"""

import hashlib
import time
from typing import Tuple

PURE_ITERATIONS = 100_000
RELEASED_BUFFER = bytes(1 << 20)
RELEASED_UPDATES = 4


def _pure() -> int:
    x = 0
    for i in range(PURE_ITERATIONS):
        x = (x * 31 + i) & 0xFFFF
    return x


def _released() -> bytes:
    digest = hashlib.sha256()
    for _ in range(RELEASED_UPDATES):
        digest.update(RELEASED_BUFFER)
    return digest.digest()


def measure() -> Tuple[float, float]:
    """Seconds taken by the pure-Python probe and by the GIL-releasing probe."""
    t0 = time.perf_counter_ns()
    _pure()
    t1 = time.perf_counter_ns()
    _released()
    t2 = time.perf_counter_ns()
    return (t1 - t0) / 1e9, (t2 - t1) / 1e9
