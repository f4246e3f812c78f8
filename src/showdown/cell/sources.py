"""The code that runs in a cell job, and its hash: the kernel hash.

A cell is stale when the code that measured it changed: the kernel (staged next to the
interpreter under test) and the cell job around it (``run``, ``job``, ``supervisor`` and what
they import). The hash is taken over tokens, not bytes: comments, docstrings, blank lines
and the width of indents change no measurement, so an edit of them re-measures nothing.

Standard library only, and the same hash under every Python from 3.9 (3.12 splits an
f-string into several tokens, earlier versions keep it whole: it is put back whole).
"""

import hashlib
import io
import tokenize
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# The cell job's own modules: ``python -m showdown.cell.run`` imports these and no others
# (tests/test_sources.py checks it).
CELL_JOB_MODULES = (
    "__init__", "run", "job", "sources", "supervisor", "record", "request", "interpreters/__init__",
    "interpreters/interpreter", "interpreters/builds", "interpreters/venv",
)  # fmt: skip

_DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
# Tokens whose text is layout only: the depth of an indent, the end of a logical line.
_LAYOUT = {tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE}
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def kernel_sources(root: Optional[Path] = None) -> List[Path]:
    """The files staged for the measured interpreter: ``showdown/__init__.py`` and the kernel."""
    root = Path(root or PACKAGE_DIR)
    return [root / "__init__.py", *sorted((root / "kernel").glob("*.py"))]


def hashed_sources(root: Optional[Path] = None) -> List[Path]:
    """Everything that runs in a cell job: the kernel and the cell job's modules."""
    root = Path(root or PACKAGE_DIR)
    return kernel_sources(root) + [root / "cell" / f"{name}.py" for name in CELL_JOB_MODULES]


def _tokens(text: str) -> Iterator[Tuple[int, str]]:
    """(type, text) of each token, an f-string whole, as Python before 3.12 gives it."""
    lines = text.splitlines(keepends=True)
    depth, start = 0, (0, 0)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if _FSTRING_START is not None and token.type == _FSTRING_START:
            depth += 1
            if depth == 1:
                start = token.start
            continue
        if depth:
            if token.type == _FSTRING_END:
                depth -= 1
                if not depth:
                    yield tokenize.STRING, _span(lines, start, token.end)
            continue
        yield token.type, token.string


def _span(lines: List[str], start: Tuple[int, int], end: Tuple[int, int]) -> str:
    (first, column), (last, end_column) = start, end
    if first == last:
        return lines[first - 1][column:end_column]
    return lines[first - 1][column:] + "".join(lines[first : last - 1]) + lines[last - 1][:end_column]


def _is_docstring_prefix(string: str) -> bool:
    return "f" not in string[: string.find(string[-1])].lower()


def code_tokens(text: str) -> List[Tuple[str, str]]:
    """The tokens of a module that can change what it does: (type name, text).

    Comments, blank lines and indent widths are dropped, and so are docstrings: a statement
    of string literals alone that opens a module or an indented block.
    """
    kept: List[Tuple[int, str]] = []
    for kind, string in _tokens(text):
        if kind in _DROPPED:
            continue
        if kind in _LAYOUT:
            string = ""
        # A repeated end of line (3.12 adds one before the end of a file) means nothing.
        if kind == tokenize.NEWLINE and kept and kept[-1][0] == tokenize.NEWLINE:
            continue
        kept.append((kind, string))
    return [(tokenize.tok_name[kind], string) for kind, string in _without_docstrings(kept)]


def _without_docstrings(tokens: List[Tuple[int, str]]) -> List[Tuple[int, str]]:
    kept: List[Tuple[int, str]] = []
    index = 0
    while index < len(tokens):
        opens_block = not kept or kept[-1][0] == tokenize.INDENT
        end = index
        while end < len(tokens) and tokens[end][0] == tokenize.STRING and _is_docstring_prefix(tokens[end][1]):
            end += 1
        if opens_block and end > index and end < len(tokens) and tokens[end][0] == tokenize.NEWLINE:
            index = end + 1
            continue
        kept.append(tokens[index])
        index += 1
    return kept


def kernel_hash(root: Optional[Path] = None) -> str:
    """Hash of the code that runs in a cell job, by its tokens: changed code, changed measurements."""
    root = Path(root or PACKAGE_DIR)
    digest = hashlib.sha256()
    for path in hashed_sources(root):
        digest.update(path.relative_to(root).as_posix().encode())
        for kind, string in code_tokens(path.read_text(encoding="utf-8")):
            digest.update(f"\0{kind}\0{string}".encode())
    return digest.hexdigest()[:12]


if __name__ == "__main__":
    import sys

    print(kernel_hash(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
