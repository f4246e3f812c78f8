"""``python -m showdown.cell.migrate FROM INTO``: round files of older schema versions, carried forward.

Copies every round file under FROM (a results/cells folder) into INTO with the columns
renamed and added as the current schema reads them (:data:`record.MIGRATIONS`), so that an
old sweep can be analysed by this version. For analysis only: nothing under FROM is
changed, INTO must not be FROM, and a file already in INTO is never overwritten. Columns
the old kernel did not record are null; a new measurement is what fills them.
"""

import argparse
import sys
from pathlib import Path

import pyarrow.parquet as pq

from .record import SCHEMA_VERSION, migrate_table, write_atomic


def migrate(source: Path, into: Path) -> int:
    if into.resolve() == source.resolve() or source.resolve() in into.resolve().parents:
        raise SystemExit("migrate: INTO must be a folder outside FROM: measured files are never rewritten")
    count = 0
    for path in sorted(source.rglob("r*.parquet")):
        target = into / path.relative_to(source)
        if target.exists():
            raise SystemExit(f"migrate: {target} exists; nothing is overwritten")
        table = pq.read_table(path)
        versions = set(table.column("schema_version").to_pylist())
        if len(versions) != 1:
            raise SystemExit(f"migrate: {path} mixes schema versions {sorted(versions)}")
        write_atomic(migrate_table(table, versions.pop()), str(target))
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m showdown.cell.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a folder of round files (results/cells or below)")
    parser.add_argument("into", type=Path, help="where the carried-forward copies go")
    args = parser.parse_args()
    count = migrate(args.source, args.into)
    print(f"{count} round files carried forward to schema version {SCHEMA_VERSION} in {args.into}", file=sys.stderr)


if __name__ == "__main__":
    main()
