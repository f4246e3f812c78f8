"""Compresses a buffer with zlib, which releases the GIL while it compresses."""

import random
import zlib


def make_input(payload_bytes: int, index: int) -> bytes:
    """Compressible bytes (words from a small vocabulary), different for every task."""
    rng = random.Random(index)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon", b"zeta", b"eta", b"theta"]
    out = bytearray()
    while len(out) < payload_bytes:
        out += rng.choice(words) + b" "
    return bytes(out[:payload_bytes])


def compress(data: bytes) -> int:
    """Compressed size at level 6: zlib's default, the work of most real callers."""
    return len(zlib.compress(data, 6))


def check(results) -> bool:
    return all(0 < size for size in results)
