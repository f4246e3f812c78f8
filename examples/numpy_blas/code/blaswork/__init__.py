"""Two numpy functions: a matrix product that runs OpenBLAS's own threads, and a sort that
runs one thread and releases the GIL. numpy comes from the interpreter's `packages`."""

import numpy as np


def make_matrix(payload_bytes: int, index: int):
    """A square float64 matrix of about payload_bytes (1 MiB: 362 x 362), different per task."""
    n = max(2, int((payload_bytes / 8) ** 0.5))
    return np.random.default_rng(index).random((n, n))


def make_vector(payload_bytes: int, index: int):
    """payload_bytes of float64s (1 MiB: 131,072), different per task."""
    return np.random.default_rng(index).random(max(2, payload_bytes // 8))


def matmul(matrix) -> float:
    """The product with itself (BLAS dgemm, threaded by the library); its trace, a float,
    goes back, not the matrix."""
    return float(np.trace(matrix @ matrix))


def sort(vector) -> float:
    """np.sort, one thread, the GIL released; the median goes back, not the array."""
    ordered = np.sort(vector)
    return float(ordered[len(ordered) // 2])


def check(results) -> bool:
    return all(np.isfinite(value) for value in results)
