"""build_interpreter_env: the interpreter's own venv with its packages; a failure is recorded."""

import sys

from showdown.cell import Interpreter, build_env

if __name__ == "__main__":
    sys.stderr = open(snakemake.log[0], "w")
    record = build_env(
        Interpreter.from_params(snakemake.params.interpreter),
        venv_dir=snakemake.output.venv,
        record_path=snakemake.output.record,
    )
    print(record["log"], file=sys.stderr)
    if record["status"] != "ok":
        # Not an error of the workflow: the models that need a package are not applicable.
        print(f"environment not built ({record['failed_step']}): {record['message']}", file=sys.stderr)
