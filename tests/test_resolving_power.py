"""What would decide an undecided comparison: the rounds a pair's interval needs to clear its line."""

import importlib.util
import math

import numpy as np
from scipy import stats as scipy_stats

from conftest import REPO
from showdown.stats import band

spec = importlib.util.spec_from_file_location("resolving_power", REPO / "benchmarks" / "resolving_power.py")
resolving_power = importlib.util.module_from_spec(spec)
spec.loader.exec_module(resolving_power)


def clears(ratio, spread, rounds, margin=0.05):
    """The pair's two-sided 95% t-interval, at that many rounds, lies on one side of its nearest line."""
    half = scipy_stats.t.ppf(0.975, rounds - 1) * spread / math.sqrt(rounds)
    low, high = math.log(ratio) - half, math.log(ratio) + half
    line = band(margin)
    return high < -line or low > line or (-line < low and high < line)


def test_the_rounds_are_the_fewest_whose_interval_clears_the_line():
    for ratio, spread in [(0.80, 0.10), (0.93, 0.05), (0.99, 0.03), (1.02, 0.08), (1.30, 0.37)]:
        rounds = resolving_power.rounds_to_decide(ratio, spread, 0.05)
        assert np.isfinite(rounds)
        assert clears(ratio, spread, rounds)
        assert rounds == 3 or not clears(ratio, spread, rounds - 1)


def test_more_spread_needs_more_rounds_and_a_point_on_the_line_any_number():
    assert resolving_power.rounds_to_decide(0.93, 0.10, 0.05) > resolving_power.rounds_to_decide(0.93, 0.05, 0.05)
    on_the_line = math.exp(-band(0.05))
    assert resolving_power.rounds_to_decide(on_the_line, 0.05, 0.05) == math.inf
