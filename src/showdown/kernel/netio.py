"""io_net: real network I/O over loopback, where asyncio is said to win with many connections.

A server in its own process answers each request after ``latency_ms`` with a payload-sized
reply. The clients are a pool model's workers: blocking sockets in serial, threads or
processes, asyncio streams on an event loop, at most ``workers`` requests in flight. Each
task opens a connection, sends one line naming its index and the payload size, and reads
the whole reply: a rotation of the payload, the result every pool workload returns, so the
checksum matches io_sleep's and every model's.

The server is an asyncio server (one thread, one selector) so that it holds thousands of
connections at once and is never the limit being measured. It binds 127.0.0.1 only and an
ephemeral port: nothing is reachable from outside the machine.

Server CPU: the server is a live child of the kernel, so ``cputime.tree_usage`` already counts
it in every sample's CPU columns, for every model alike, and it competes for the cores with
the clients (2 cores on the reference machine). Measured there (CPython 3.11, 64 B replies,
20-50 ms latency, 64 or 1,000 connections): 0.2-0.3 ms of server CPU per request, 0.2-0.3 s
per batch of 1,000 requests, about as much as the asyncio or threaded clients use themselves.
``NetScenario.server_cpu_seconds`` holds each batch's server CPU for whoever wants it apart.

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import functools
import multiprocessing
import resource
import socket
import time
import traceback
from typing import Any, List, Tuple

from .mechanisms import STOP_TIMEOUT_SECONDS, WAIT_TIMEOUT_SECONDS, require_model
from .models import MODELS, START_METHODS, NotApplicable
from .scenarios import PoolScenario
from .workloads import _rotate, make_payload

LOOPBACK = "127.0.0.1"  # the only address the server binds
# File descriptors beyond one per connection on each side: the interpreter's own, pipes, logs.
FD_HEADROOM = 64

Address = Tuple[str, int]


# ---------------------------------------------------------------------------------------
# Clients (pool tasks: module level, so that process pools pickle them by reference)
# ---------------------------------------------------------------------------------------


def _request(index: int, size: int) -> bytes:
    return b"%d %d\n" % (index, size)


def io_net_task(arg) -> bytes:
    """One request on a blocking socket: connect, ask, read ``len(payload)`` bytes back."""
    index, payload, address = arg
    size = len(payload)
    reply = bytearray(size)
    with socket.create_connection(address, timeout=WAIT_TIMEOUT_SECONDS) as connection:
        connection.sendall(_request(index, size))
        with memoryview(reply) as view:  # received straight into the reply, no chunks joined
            received = 0
            while received < size:
                count = connection.recv_into(view[received:])
                if not count:
                    raise ConnectionError(f"server closed after {received} of {size} bytes")
                received += count
    return bytes(reply)


async def _exchange(index: int, size: int, address: Address) -> bytes:
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(_request(index, size))
        return await reader.readexactly(size)
    finally:
        writer.close()
        await writer.wait_closed()


async def io_net_coroutine(arg) -> bytes:
    """The same request over asyncio streams, on whichever event loop the model runs."""
    index, payload, address = arg
    return await asyncio.wait_for(_exchange(index, len(payload), address), WAIT_TIMEOUT_SECONDS)


# ---------------------------------------------------------------------------------------
# The server (its own process)
# ---------------------------------------------------------------------------------------

# Replies are rotations of one payload per size, built once per size, not per request.
_reply_base = functools.lru_cache(maxsize=8)(make_payload)


async def _answer(reader, writer, latency_seconds: float) -> None:
    try:
        index, size = (int(field) for field in (await reader.readline()).split())
        await asyncio.sleep(latency_seconds)
        writer.write(_rotate(_reply_base(size), index))
        await writer.drain()
    finally:
        writer.close()


async def _run_server(control, latency_seconds: float, backlog: int) -> None:
    """Serve until the control link says stop (None) or closes; answer "cpu" with our CPU seconds."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()

    def on_command() -> None:
        try:
            command = control.recv()
        except (EOFError, OSError):  # the kernel is gone: so are we
            command = None
        if command is None:
            loop.remove_reader(control.fileno())
            stopped.set()
        else:
            control.send(time.process_time())

    server = await asyncio.start_server(
        functools.partial(_answer, latency_seconds=latency_seconds), LOOPBACK, 0, backlog=backlog
    )
    async with server:
        loop.add_reader(control.fileno(), on_command)
        control.send(("ready", server.sockets[0].getsockname()[1]))
        await stopped.wait()


def _serve(control, latency_seconds: float, backlog: int) -> None:
    try:
        asyncio.run(_run_server(control, latency_seconds, backlog))
    except Exception:  # whatever stopped the server goes back to the kernel, with its traceback
        control.send(("failed", traceback.format_exc()))


class LoopbackServer:
    """The request server in a child process: ``start`` gives its address, ``stop`` ends it.

    Started with fork where offered (no re-import, so the cell pays little for it), else spawn.
    """

    process: Any = None
    control: Any = None

    def __init__(self, latency_seconds: float, backlog: int):
        self.latency_seconds = latency_seconds
        self.backlog = backlog

    def start(self) -> Address:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.control, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(theirs, self.latency_seconds, self.backlog), daemon=True,
            name="io_net-server",
        )
        self.process.start()
        theirs.close()
        status, detail = self._answer("starting")
        if status != "ready":
            raise RuntimeError(f"the io_net server did not start:\n{detail}")
        return LOOPBACK, detail

    def _answer(self, what: str):
        if not self.control.poll(WAIT_TIMEOUT_SECONDS):
            raise TimeoutError(
                f"the io_net server gave no answer within {WAIT_TIMEOUT_SECONDS:.0f} s while {what}"
            )
        return self.control.recv()

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server has used so far."""
        self.control.send("cpu")
        return self._answer("reporting its CPU time")

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.control.send(None)
        except OSError:
            pass  # it is gone already
        self.process.join(STOP_TIMEOUT_SECONDS)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_TIMEOUT_SECONDS)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
        self.control.close()
        self.process = None


def raise_open_file_limit(needed: int) -> None:
    """Raise the soft RLIMIT_NOFILE to the hard limit if ``needed`` descriptors exceed it.

    Children inherit the limit, so the server started afterwards gets it too.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    # Linux refuses an infinite RLIMIT_NOFILE; then ask for what is needed.
    target = needed if hard == resource.RLIM_INFINITY else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target < needed:
        raise NotApplicable(
            f"io_net with this many connections needs {needed} open files; RLIMIT_NOFILE allows "
            f"{target} (hard limit {hard}): raise it with `ulimit -n`"
        )


# ---------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------

# The pool models whose workers are clients a real program would use for network I/O;
# those not offered in this kernel are left out (uvloop is imported by its model, not here).
NET_MODELS: Tuple[str, ...] = tuple(
    name
    for name in ("serial", "threads", "thread_workers",
                 *(f"processes-{method}" for method in START_METHODS),
                 "asyncio", "asyncio_uvloop")
    if name in MODELS
)


class NetScenario(PoolScenario):
    """io_net through a pool model, against a loopback server started and stopped with it."""

    def __init__(self, workload, model, workers, *args, **kwargs):
        require_model(workload.kind, model, NET_MODELS)
        super().__init__(workload, model, workers, *args, **kwargs)
        raise_open_file_limit(self.workers * 2 + FD_HEADROOM)
        self.server = LoopbackServer(
            float(self.params["latency_ms"]) / 1000.0, backlog=self.workers + FD_HEADROOM
        )
        self.server_cpu_seconds: List[float] = []
        self._server_cpu_total = 0.0

    def start(self):
        # The server first: forked while this process has no other thread yet.
        address = self.server.start()
        self._server_cpu_total = self.server.cpu_seconds()  # its own start-up is not a batch's
        self.args = [(index, payload, address) for index, payload, _ in self.args]
        super().start()

    def after_batch(self):
        total = self.server.cpu_seconds()
        self.server_cpu_seconds.append(total - self._server_cpu_total)
        self._server_cpu_total = total

    def stop(self):
        try:
            super().stop()
        finally:
            self.server.stop()
