"""io_net: real network I/O over loopback, where asyncio is said to win with many connections.

A server answers each request after ``latency_ms`` with a payload-sized reply. The clients
are a pool model's workers: blocking sockets in serial, threads or processes, asyncio
streams on an event loop, at most ``workers`` connections open at once. Each pool task is
one connection that sends ``requests_per_connection`` requests in turn (keep-alive; 1 is a
new connection per request), each a line naming the request's index and the payload size,
and reads each whole reply: a rotation of the payload, the result every pool workload
returns, so the checksum matches io_sleep's and every model's. ``tasks`` counts requests.

The server is ``server_processes`` asyncio servers (one thread, one selector each) on one
port (SO_REUSEPORT: the OS spreads new connections over them), so that it holds thousands
of connections at once. Whether it kept up is measured, not assumed: it binds 127.0.0.1
only and an ephemeral port (nothing is reachable from outside the machine), and its CPU
seconds go into every repetition (``server_cpu_seconds``), so the analysis can tell a cell
whose server, not its model, capped the throughput (harness-bound).

Server CPU: the servers are live children of the kernel, so ``cputime.tree_usage`` counts
them in every sample's CPU columns too, for every model alike, and they compete for the
cores with the clients (2 cores on the reference machine). Measured there (CPython 3.11,
64 B replies, a new connection per request): 0.2-0.3 ms of server CPU per request, about as
much as the clients use themselves; with keep-alive far less (FIELD-NOTES "Many connections
on loopback").

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

from .crews import WAIT_TIMEOUT_SECONDS, require_model, stop_workers
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


def _receive(connection, size: int) -> bytes:
    reply = bytearray(size)
    with memoryview(reply) as view:  # received straight into the reply, no chunks joined
        received = 0
        while received < size:
            count = connection.recv_into(view[received:])
            if not count:
                raise ConnectionError(f"server closed after {received} of {size} bytes")
            received += count
    return bytes(reply)


def io_net_task(arg) -> List[bytes]:
    """One connection on a blocking socket: connect, then per request ask and read
    ``len(payload)`` bytes back. ``index`` is the connection's; its requests follow on."""
    index, payload, (address, requests) = arg
    size = len(payload)
    with socket.create_connection(address, timeout=WAIT_TIMEOUT_SECONDS) as connection:
        replies = []
        for request in range(index * requests, (index + 1) * requests):
            connection.sendall(_request(request, size))
            replies.append(_receive(connection, size))
    return replies


async def _exchange(index: int, size: int, address: Address, requests: int) -> List[bytes]:
    reader, writer = await asyncio.open_connection(*address)
    try:
        replies = []
        for request in range(index * requests, (index + 1) * requests):
            writer.write(_request(request, size))
            replies.append(await reader.readexactly(size))
        return replies
    finally:
        writer.close()
        await writer.wait_closed()


async def io_net_coroutine(arg) -> List[bytes]:
    """The same connection over asyncio streams, on whichever event loop the model runs."""
    index, payload, (address, requests) = arg
    timeout = WAIT_TIMEOUT_SECONDS * requests
    return await asyncio.wait_for(_exchange(index, len(payload), address, requests), timeout)


# ---------------------------------------------------------------------------------------
# The server (its own process)
# ---------------------------------------------------------------------------------------

# Replies are rotations of one payload per size, built once per size, not per request.
_reply_base = functools.lru_cache(maxsize=8)(make_payload)


async def _answer(reader, writer, latency_seconds: float) -> None:
    """Answer every request of one connection, in turn, until the client closes it."""
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            index, size = (int(field) for field in line.split())
            await asyncio.sleep(latency_seconds)
            writer.write(_rotate(_reply_base(size), index))
            await writer.drain()
    finally:
        writer.close()


async def _run_server(control, latency_seconds: float, backlog: int, port: int, shared: bool) -> None:
    """Serve until the control link says stop (None) or closes; answer "cpu" with our CPU seconds.

    ``shared``: bind with SO_REUSEPORT, so that other server processes can bind ``port`` too
    (port 0: the first one picks it).
    """
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
        functools.partial(_answer, latency_seconds=latency_seconds),
        LOOPBACK,
        port,
        backlog=backlog,
        reuse_port=shared or None,
    )
    async with server:
        loop.add_reader(control.fileno(), on_command)
        control.send(("ready", server.sockets[0].getsockname()[1]))
        await stopped.wait()


def _serve(control, latency_seconds: float, backlog: int, port: int, shared: bool) -> None:
    try:
        asyncio.run(_run_server(control, latency_seconds, backlog, port, shared))
    except Exception:  # whatever stopped the server goes back to the kernel, with its traceback
        control.send(("failed", traceback.format_exc()))


class LoopbackServer:
    """The request server: ``processes`` child processes on one port (SO_REUSEPORT when
    more than one). ``start`` gives its address, ``cpu_seconds`` the CPU all of them used
    so far, ``stop`` ends them.

    Started with fork where offered (no re-import, so the cell pays little for it), else spawn.
    """

    def __init__(self, latency_seconds: float, backlog: int, processes: int = 1):
        if processes < 1:
            raise NotApplicable(f"server_processes must be at least 1, not {processes}")
        if processes > 1 and not hasattr(socket, "SO_REUSEPORT"):
            raise NotApplicable(f"server_processes {processes} needs SO_REUSEPORT, which this platform lacks; use 1")
        self.latency_seconds = latency_seconds
        self.backlog = backlog
        self.processes: List[Any] = []
        self.controls: List[Any] = []
        self.wanted = processes

    @property
    def process(self) -> Any:
        """The first server process (None once stopped)."""
        return self.processes[0] if self.processes else None

    def start(self) -> Address:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        shared, port = self.wanted > 1, 0
        for number in range(self.wanted):
            control, theirs = context.Pipe()
            process = context.Process(
                target=_serve,
                args=(theirs, self.latency_seconds, self.backlog, port, shared),
                daemon=True,
                name=f"io_net-server-{number}",
            )
            process.start()
            theirs.close()
            self.processes.append(process)
            self.controls.append(control)
            status, detail = self._answer(control, "starting")
            if status != "ready":
                raise RuntimeError(f"the io_net server did not start:\n{detail}")
            port = detail  # the first picked it; the others join it
        return LOOPBACK, port

    @staticmethod
    def _answer(control, what: str):
        if not control.poll(WAIT_TIMEOUT_SECONDS):
            raise TimeoutError(f"the io_net server gave no answer within {WAIT_TIMEOUT_SECONDS:.0f} s while {what}")
        return control.recv()

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server processes have used so far, together."""
        for control in self.controls:
            control.send("cpu")
        return sum(self._answer(control, "reporting its CPU time") for control in self.controls)

    def stop(self) -> None:
        stop_workers(self.controls, self.processes, processes=True)
        self.processes, self.controls = [], []


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
    for name in (
        "serial",
        "threads",
        "thread_workers",
        *(f"processes-{method}" for method in START_METHODS),
        "asyncio",
        "asyncio_uvloop",
    )
    if name in MODELS
)


class NetScenario(PoolScenario):
    """io_net through a pool model, against a loopback server started and stopped with it.

    The pool maps connections (``tasks / requests_per_connection`` of them), each returning
    its replies; the batch is every reply, in request order.
    """

    def __init__(self, workload, model, workers, *args, **kwargs):
        require_model(workload.kind, model, NET_MODELS)
        super().__init__(workload, model, workers, *args, **kwargs)
        self.requests = int(self.params["requests_per_connection"])
        if self.requests < 1 or self.tasks % self.requests:
            raise NotApplicable(
                f"io_net: tasks ({self.tasks} requests) must be a whole number of connections of "
                f"requests_per_connection ({self.requests}) requests"
            )
        processes = int(self.params["server_processes"])
        # Each connection holds a descriptor on each side; the servers share the backlog.
        raise_open_file_limit(self.workers * 2 + processes * FD_HEADROOM)
        self.server = LoopbackServer(
            float(self.params["latency_ms"]) / 1000.0, backlog=self.workers + FD_HEADROOM, processes=processes
        )
        self.server_cpu_seconds: List[float] = []
        self._server_cpu_total = 0.0

    def start(self):
        # The server first: forked while this process has no other thread yet.
        address = self.server.start()
        self._server_cpu_total = self.server.cpu_seconds()  # its own start-up is not a batch's
        payload = self.args[0][1] if self.args else b""
        connections = self.tasks // self.requests
        self.args = [(index, payload, (address, self.requests)) for index in range(connections)]
        super().start()

    def run_batch(self):
        return [reply for replies in super().run_batch() for reply in replies]

    def harness_pids(self):
        return [process.pid for process in self.server.processes]

    def after_batch(self):
        total = self.server.cpu_seconds()
        self.server_cpu_seconds.append(total - self._server_cpu_total)
        self._server_cpu_total = total

    def batch_columns(self):
        return dict(super().batch_columns(), server_cpu_seconds=self.server_cpu_seconds[-1])

    def stop(self):
        try:
            super().stop()
        finally:
            self.server.stop()
