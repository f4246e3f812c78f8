"""Payload sizes: one canonical label per size, in IEC units ("64KiB", "16MiB", "100B")."""

import re

UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "kB": 10**3, "MB": 10**6, "GB": 10**9}
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB|kB|MB|GB)?\s*$")
LABEL_PATTERN = r"\d+(?:B|KiB|MiB|GiB)"


def parse_size(value) -> int:
    """Bytes in ``value``: an int, or a string such as "1KiB", "64 KiB", "100B", "2MB"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(
            f"{value!r} is not a size: use a whole number of bytes or a number with a unit "
            f"({', '.join(UNITS)}), e.g. 64KiB"
        )
    return int(match.group(1)) * UNITS[match.group(2) or "B"]


def size_label(size: int) -> str:
    """The canonical label: the largest IEC unit that divides the size exactly."""
    for unit in ("GiB", "MiB", "KiB"):
        if size and size % UNITS[unit] == 0:
            return f"{size // UNITS[unit]}{unit}"
    return f"{size}B"
