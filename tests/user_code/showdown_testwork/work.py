"""Functions a user might point a callable workload at, good and bad ones.

Not part of showdown: the tests name these in a config (function, input, check) and the
kernel imports them only inside the interpreter under test.
"""

import asyncio


def crunch(data: bytes) -> int:
    """Pure-Python work over the input: holds the GIL."""
    total = 0
    for byte in data:
        total = (total * 31 + byte) & 0xFFFFFFFF
    return total


def make_input(payload_bytes: int, index: int) -> bytes:
    """Each task's own input: different bytes per task, of the configured size."""
    return bytes((index + i) % 256 for i in range(payload_bytes))


def make_document(payload_bytes: int, index: int) -> dict:
    """An input that is no bytes-like thing: a document, as a JSON workload would take."""
    return {"task": index, "values": list(range(max(1, payload_bytes // 8)))}


def total(document: dict) -> int:
    return sum(document["values"]) + document["task"]


def check(results) -> bool:
    return all(isinstance(value, int) for value in results)


# A function process pools cannot pickle by reference (its name is not its qualname).
by_lambda = lambda data: len(sorted(data * 64))  # noqa: E731  (a sort of 64 copies: well above the 1 us a task must take)

NOT_CALLABLE = 42


def fails(data: bytes) -> int:
    raise ValueError(f"user code refused {len(data)} bytes")


def make_input_wrong(payload_bytes):
    """A factory missing the index argument."""
    return bytes(payload_bytes)


# Async code: awaited by every model, never called and left.
PAUSE_SECONDS = 0.002


async def wait_then_count(data: bytes) -> int:
    """An async client's call: waits, then answers from its input."""
    await asyncio.sleep(PAUSE_SECONDS)
    return len(data)


async def make_input_async(payload_bytes: int, index: int) -> bytes:
    await asyncio.sleep(0)
    return bytes((index + i) % 256 for i in range(payload_bytes))


async def check_async(results) -> bool:
    await asyncio.sleep(0)
    return all(isinstance(value, int) for value in results)


def returns_coroutine(data: bytes):
    """A plain function that hands back its coroutine unrun (a missing await)."""
    return wait_then_count(data)


def returns_generator(data: bytes):
    return (byte for byte in data)
