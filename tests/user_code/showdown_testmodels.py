"""A model of the tests' own, registered from outside src/ (README "Adding a model").

Named in SHOWDOWN_MODEL_MODULES, with this folder on PYTHONPATH: every process of a run
imports it, the measured interpreter too.
"""

from showdown.kernel import PROCESSES, register_model
from showdown.kernel.models import Processes


class SpawnedProcesses(Processes):
    """ProcessPoolExecutor with spawn, under a name of its own."""

    def __init__(self, workers):
        super().__init__(workers, start_method="spawn")
        self.name = "spawned_processes"


register_model("spawned_processes", SpawnedProcesses, PROCESSES, start_method="spawn")
