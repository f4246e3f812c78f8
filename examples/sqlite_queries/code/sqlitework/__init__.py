"""Queries a small SQLite database that the example makes itself, in a temporary folder.

Each worker (thread or process) opens its own connection on first use: sqlite3
connections are not shared across threads. The database is made once per process, under
a file lock, in the system's temporary folder; sqlite3 releases the GIL while SQLite
runs a statement, and reading pages is I/O.
"""

import os
import sqlite3
import tempfile
import threading

ROWS = 20_000
DATABASE = os.path.join(tempfile.gettempdir(), f"showdown-example-sqlite-{ROWS}.db")
_local = threading.local()
_made = threading.Lock()


def _make_database() -> None:
    """Write the table once (atomically: built under another name, then renamed)."""
    if os.path.exists(DATABASE):
        return
    building = f"{DATABASE}.{os.getpid()}.{threading.get_ident()}"
    with sqlite3.connect(building) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, note TEXT)")
        db.executemany(
            "INSERT INTO orders (customer, amount, note) VALUES (?, ?, ?)",
            ((i % 500, (i * 37 % 1000) / 10.0, f"order {i}") for i in range(ROWS)),
        )
        db.execute("CREATE INDEX by_customer ON orders (customer)")
    os.replace(building, DATABASE)


def _connection() -> sqlite3.Connection:
    if getattr(_local, "db", None) is None:
        with _made:
            _make_database()
        _local.db = sqlite3.connect(DATABASE, check_same_thread=False)
    return _local.db


def make_input(payload_bytes: int, index: int) -> tuple:
    """Which customers a task asks about: a range whose width grows with the payload."""
    width = max(1, payload_bytes // 64)
    first = (index * 7) % 500
    return (first, first + width)


def query(bounds: tuple) -> float:
    """A scan with an aggregate over the customers in ``bounds``, plus one indexed lookup."""
    db = _connection()
    (total,) = db.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM orders WHERE customer BETWEEN ? AND ? AND note LIKE '%1%'", bounds
    ).fetchone()
    db.execute("SELECT COUNT(*) FROM orders WHERE customer = ?", (bounds[0],)).fetchone()
    return total


def check(results) -> bool:
    return all(total >= 0 for total in results)
