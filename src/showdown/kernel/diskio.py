"""io_disk: write payload-sized files with fsync and read them back, through any pool model.

Each task writes its own file (a rotation of the payload, the result every pool workload
returns), forces it to the device with ``os.fsync`` as a log or a database would, and
returns the bytes read back. The read is served from the page cache: the device's cost is
in the fsync. On tmpfs fsync is a no-op, so the cell's working folder must be on a disk for
this workload to mean anything.

asyncio has no asynchronous file I/O in the standard library: the asyncio model runs the
task on the event loop, blocking it, which is what naive asyncio code does (the
``asyncio_to_thread`` model, where offered, is the usual remedy).

Standard library only (see ``showdown/__init__.py``).
"""

import os
import shutil
import tempfile
from typing import Optional

from .scenarios import PoolScenario
from .workloads import _rotate


def io_disk_task(arg) -> bytes:
    """Write, fsync and read back one file; module level, so process pools pickle it by name."""
    index, payload, directory = arg
    path = os.path.join(directory, f"{index}.bin")
    with open(path, "wb") as handle:
        handle.write(_rotate(payload, index))
        handle.flush()
        os.fsync(handle.fileno())
    with open(path, "rb") as handle:
        return handle.read()


class DiskScenario(PoolScenario):
    """io_disk in a private folder under the working folder (the cell runner's own, empty),
    made in ``start`` and removed in ``stop``."""

    directory: Optional[str] = None

    def start(self):
        self.directory = tempfile.mkdtemp(prefix="io_disk-", dir=os.getcwd())
        self.args = [(index, payload, self.directory) for index, payload, _ in self.args]
        super().start()

    def after_batch(self):
        # Every batch creates its files afresh: overwriting an existing file costs less
        # (no new inode, no directory entry), so later batches would otherwise differ.
        for name in os.listdir(self.directory):
            os.unlink(os.path.join(self.directory, name))

    def stop(self):
        try:
            super().stop()
        finally:
            if self.directory is not None:
                shutil.rmtree(self.directory)
                self.directory = None
