"""The measuring kernel's command line: ``python -m showdown.kernel COMMAND SPEC_JSON``.

Commands:
  run        time one (cell, round) and print its samples
  calibrate  time serial tasks and print the task count that fills the target time
  probe      print what this interpreter can do (start methods, GIL, subinterpreters, ...)
  inspect    check a callable workload's code here: imports, signatures, pickling

The answer is one JSON document on stdout. Failures the kernel understands (not
applicable, a failed check, a broken pool) are answers too, with a ``status``; anything
else is a crash, which the cell runner records from the exit code and stderr.

Keep this module light: forkserver and spawn children re-import ``__main__``.
Standard library only (see ``showdown/__init__.py``).
"""

import json
import sys

from . import calibration, capabilities, environment, faults, timing, usercode


def _run(spec):
    try:
        faults.inject_from_environment()
        answer = timing.measure(spec)
        answer["status"] = "ok"
    except timing.NotApplicable as reason:
        answer = {"status": "not_applicable", "message": str(reason)}
    except timing.CheckFailed as error:
        answer = {"status": "failed", "message": f"check failed: {error}"}
    except timing.BatchFailed as error:
        answer = {"status": "broken_pool", "message": str(error)}
    return answer


COMMANDS = {
    "run": _run,
    "calibrate": calibration.calibrate,
    "probe": lambda spec: capabilities.probe(),
    "inspect": usercode.inspect,
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m showdown.kernel {{{','.join(COMMANDS)}}} [SPEC_JSON]", file=sys.stderr)
        return 2
    spec = json.loads(argv[1]) if len(argv) > 1 else {}
    answer = COMMANDS[argv[0]](spec)
    answer["meta"] = environment.collect()
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
