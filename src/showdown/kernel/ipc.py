"""ipc_transfer: one producer hands ``tasks`` payload-sized messages to one consumer,
through a channel that is one model (a queue, a pipe, a manager's queue, shared memory).

Standard library only (see ``showdown/__init__.py``).
"""

import asyncio
import queue
import zlib
from typing import ClassVar, Dict, Optional, Tuple

from .crews import WAIT_TIMEOUT_SECONDS, acquire, digest
from .mechanisms import MechanismScenario
from .models import NotApplicable
from .registry import COROUTINES, PROCESSES, THREADS
from .workloads import CheckFailed, _rotate, make_payload

# Where a channel's two sides live: handing over a reference is not moving the bytes.
WITHIN_PROCESS, BETWEEN_PROCESSES = "within one process", "between processes"

# ---------------------------------------------------------------------------------------
# ipc_transfer
# ---------------------------------------------------------------------------------------


def _produce(channel, payload: bytes, tasks: int) -> int:
    """Send ``tasks`` distinct payload-sized messages (rotations of the payload), in order."""
    for index in range(tasks):
        channel.send(_rotate(payload, index))
    return tasks


def _consume(channel, tasks: int, kept: list) -> Tuple[int, int]:
    """Receive ``tasks`` messages into ``kept``: (count, bytes). The check is :func:`_fold`,
    run after the clock stops: a digest of every byte is no part of a transfer."""
    total = 0
    for _ in range(tasks):
        message = channel.receive()
        kept.append(message)
        total += len(message)
    return tasks, total


def _fold(channel, tasks: int, kept: list) -> int:
    """The CRC-32 chained over the kept messages in order (it changes if any byte is wrong
    or any two messages swap), then forget them. Run by the consumer's own worker, so
    nothing crosses back to the coordinator but the number."""
    crc = 0
    for message in kept:
        crc = zlib.crc32(message, crc)
    kept.clear()
    return crc


async def _produce_async(channel: asyncio.Queue, payload: bytes, tasks: int) -> int:
    for index in range(tasks):
        await channel.put(_rotate(payload, index))
    return tasks


async def _consume_async(channel: asyncio.Queue, tasks: int, kept: list) -> Tuple[int, int]:
    total = 0
    for _ in range(tasks):
        message = await channel.get()
        kept.append(message)
        total += len(message)
    return tasks, total


class _QueueChannel:
    """queue.Queue, multiprocessing.Queue or a Manager's queue proxy: the same put and get."""

    def __init__(self, channel):
        self.channel = channel

    def send(self, message: bytes) -> None:
        self.channel.put(message, True, WAIT_TIMEOUT_SECONDS)

    def receive(self) -> bytes:
        return self.channel.get(True, WAIT_TIMEOUT_SECONDS)


class _PipeChannel:
    """A one-way Pipe, raw bytes (no pickling). ``recv_bytes`` has no timeout: a stuck
    consumer is seen by the coordinator's timeout, and ``stop`` terminates it."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    def send(self, message: bytes) -> None:
        self.writer.send_bytes(message)

    def receive(self) -> bytes:
        return self.reader.recv_bytes()


class _SharedMemoryChannel:
    """A ring of ``slots`` message-sized slots in one shared block: the bounded buffer.

    ``free`` counts empty slots and ``filled`` written ones, so each message is copied once
    into the block and once out of it by the consumer, never pickled. Each side keeps its
    own position; both advance by ``tasks`` per batch, so they stay in step across batches.
    """

    def __init__(self, block, slots: int, size: int, free, filled):
        self.block, self.slots, self.size = block, slots, size
        self.free, self.filled = free, filled
        self.position = 0

    def _next_slot(self) -> int:
        start = (self.position % self.slots) * self.size
        self.position += 1
        return start

    def send(self, message: bytes) -> None:
        acquire(self.free, "a free shared-memory slot")
        start = self._next_slot()
        self.block.buf[start : start + self.size] = message
        self.filled.release()

    def receive(self) -> bytes:
        """The message copied out of its slot (the consumer's own bytes, as every other
        channel hands over), so that the slot can be written again."""
        acquire(self.filled, "a filled shared-memory slot")
        start = self._next_slot()
        with self.block.buf[start : start + self.size] as view:  # released before the slot is
            message = bytes(view)
        self.free.release()
        return message


def _release_block(block) -> None:
    block.close()
    block.unlink()


class TransferScenario(MechanismScenario):
    """ipc_transfer: a producer hands ``tasks`` messages of ``payload_bytes`` to a consumer.

    Every queue holds at most ``capacity`` messages (a Pipe holds what the OS buffer
    holds), so a fast producer waits as it would in real code instead of filling memory.
    Per-message cost = wall / tasks (the row's wall is one run's, the batch's over its
    repeats); it includes building each message (one rotation of
    the payload), the same for every channel. The consumer keeps what it received until
    the clock stops, then folds it into a CRC (:func:`_fold`): every byte checked, none of
    the checking timed. Keeping costs memory: tasks x repeats x payload bytes in the consumer.

    Two kinds of channel, never one comparison (:meth:`scopes`): a handoff within one
    process (queue.Queue between threads, asyncio.Queue between coroutines) passes object
    references; a channel between processes must copy or serialise every byte.
    """

    fixed_workers = 2
    MECHANISMS: ClassVar[Dict[str, Tuple[str, str]]] = {
        "queue_threads": (THREADS, "_thread_queue"),
        "mp_queue": (PROCESSES, "_mp_queue"),
        "pipe": (PROCESSES, "_pipe"),
        "manager_queue": (PROCESSES, "_manager_queue"),
        "shared_memory": (PROCESSES, "_shared_memory"),
        "asyncio_queue": (COROUTINES, "_asyncio_queue"),
    }

    @classmethod
    def scopes(cls) -> Dict[str, str]:
        """Every model name -> where its two sides live (:data:`WITHIN_PROCESS` or
        :data:`BETWEEN_PROCESSES`), from who runs the mechanism."""
        return {d.name: BETWEEN_PROCESSES if d.workers == PROCESSES else WITHIN_PROCESS for d in cls.descriptions()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.capacity = int(self.params["capacity"])
        if self.capacity < 1:
            raise NotApplicable(f"capacity must be at least 1 message, not {self.capacity}")
        self.payload = make_payload(self.payload_bytes)
        self._expected: Optional[Tuple[int, int, int]] = None
        self._one_run: Optional[int] = None  # the CRC of one run's messages
        self.folded: Optional[int] = None

    def _thread_queue(self):
        return _QueueChannel(queue.Queue(self.capacity))

    def _mp_queue(self):
        channel = self.context.Queue(self.capacity)
        self.resources.callback(channel.close)
        return _QueueChannel(channel)

    def _manager_queue(self):
        return _QueueChannel(self.manager().Queue(self.capacity))

    def _pipe(self):
        return _PipeChannel(*self.pipe(duplex=False))

    def _shared_memory(self):
        try:
            from multiprocessing import shared_memory

            # SharedMemory refuses size 0; a 0-byte payload moves through one spare byte.
            block = shared_memory.SharedMemory(create=True, size=max(1, self.capacity * self.payload_bytes))
        except (ImportError, AttributeError) as error:  # no working _posixshmem (PyPy)
            raise NotApplicable(f"multiprocessing.shared_memory does not work here: {error!r}") from error
        self.resources.callback(_release_block, block)
        return _SharedMemoryChannel(
            block,
            self.capacity,
            self.payload_bytes,
            free=self.context.Semaphore(self.capacity),
            filled=self.context.Semaphore(0),
        )

    def _asyncio_queue(self):
        return asyncio.Queue(self.capacity)

    def roles(self, channel):
        consumer = (channel, self.tasks, [])  # the list: what the consumer keeps, in its own worker
        return [
            (self.by_runner(_produce, _produce_async), (channel, self.payload, self.tasks)),
            (self.by_runner(_consume, _consume_async), consumer, _fold),
        ]

    def run_batch(self):
        counts = [answers[1] for answers in self.run_crew()]  # what the consumer counted, per run
        return [sum(count for count, _ in counts), sum(size for _, size in counts)]

    def after_batch(self):
        self.folded = self.crew.after()[1]  # the consumer's CRC of what it kept

    def expected(self) -> Tuple[int, int, int]:
        """What the consumer must report after ``repeats`` runs, each the same ``tasks``
        messages: computed outside the clock, once per repeat count."""
        if self._expected is None or self._expected[0] != self.batch_tasks:
            crc = 0
            for _ in range(self.repeats):
                for index in range(self.tasks):
                    crc = zlib.crc32(_rotate(self.payload, index), crc)
                if self._one_run is None:
                    self._one_run = crc
            self._expected = (self.batch_tasks, self.batch_tasks * self.payload_bytes, crc)
        return self._expected

    def check(self, results):
        received = (*results, self.folded)
        count, total, crc = self.expected()
        if tuple(received) != (count, total, crc):
            raise CheckFailed(
                f"{self.model_name}: consumer got {received[0]} messages, {received[1]} bytes, "
                f"CRC {received[2]:08x}; expected {count}, {total}, {crc:08x}"
            )
        # One run's: every model reproduces it, whatever its repeats.
        return digest("ipc_transfer", self.tasks, self.tasks * self.payload_bytes, self._one_run)
