"""One request, made with an async client and with a blocking client, to a local server.

The server (``fetchwork.server``, standard library only) is started by the first task input
a process asks for, so it starts and stops with the cell: the kernel builds every task's
input before the pool starts, outside the clock, and the server exits when the process that
started it does. It runs in a process of its own, not a thread of the measured one, so
that it never competes for the clients' GIL, as a real remote server would not; its CPU
seconds still count in the cell's (it is a child of the kernel), for every model alike.
It binds 127.0.0.1 and an ephemeral port only.

Each request is a new connection: the client sends the input, the server waits
``LATENCY_SECONDS`` (a backend's response time) and answers with the input's SHA-256;
a task returns (input size, answer) and ``check`` confirms every answer, so a request
that never ran cannot pass.
"""

import asyncio
import atexit
import hashlib
import os
import socket
import subprocess
import sys

LATENCY_SECONDS = 0.01
TIMEOUT_SECONDS = 30.0
_server = None  # (process, address) in the process that started it


def _address():
    """The server's address, starting the server on first use in this process tree."""
    global _server
    if _server is None:
        script = os.path.join(os.path.dirname(__file__), "server.py")
        process = subprocess.Popen(
            [sys.executable, script, str(LATENCY_SECONDS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        port = int(process.stdout.readline())
        atexit.register(_stop, process, os.getpid())
        _server = (process, ("127.0.0.1", port))
    return _server[1]


def _stop(process, owner):
    if os.getpid() == owner:  # a forked worker inherits the handler, not the server
        process.stdin.close()  # the server's cue to exit
        process.wait(TIMEOUT_SECONDS)


def make_input(payload_bytes: int, index: int) -> tuple:
    """Where to send, and what: payload-sized bytes of the task's own."""
    return _address(), bytes((index + i) % 256 for i in range(payload_bytes))


def _request(data: bytes) -> bytes:
    return b"%d\n" % len(data) + data


async def fetch(request: tuple) -> tuple:
    """The request made with an async client (asyncio streams)."""
    address, data = request
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(_request(data))
        return len(data), await asyncio.wait_for(reader.readexactly(32), TIMEOUT_SECONDS)
    finally:
        writer.close()
        await writer.wait_closed()


def fetch_sync(request: tuple) -> tuple:
    """The same request made with a blocking client (a socket)."""
    address, data = request
    with socket.create_connection(address, timeout=TIMEOUT_SECONDS) as connection:
        connection.sendall(_request(data))
        answer = b""
        while len(answer) < 32:
            chunk = connection.recv(32 - len(answer))
            if not chunk:
                raise ConnectionError(f"server closed after {len(answer)} of 32 bytes")
            answer += chunk
        return len(data), answer


def check(results) -> bool:
    """Every answer is the digest of its own task's input: each request really ran."""
    return all(
        answer == hashlib.sha256(bytes((index + i) % 256 for i in range(size))).digest()
        for index, (size, answer) in enumerate(results)
    )
