"""Statistics behind verdicts, claims, cell summaries and the A/A control: the door.

The round (one job) is the unit of independent evidence (:mod:`.estimates`); one
decision procedure labels comparison groups and judges claims (:mod:`.decide`); cells
get their intervals and noise flags from their rounds (:mod:`.cells`).
"""

from .cells import cell_estimates, spread_test
from .decide import (
    PAIR_FIELDS,
    TESTS,
    VERDICT_FIELDS,
    aa_control,
    aa_spread,
    claim_p,
    claim_p_against,
    effective_margin,
    false_win_rate,
    holm,
    verdicts,
)  # fmt: skip
from .estimates import MIN_ROUNDS, band, estimate_pairs, paired_log_ratios, ratio_ci, round_medians, t_estimates

__all__ = [
    "MIN_ROUNDS", "PAIR_FIELDS", "TESTS", "VERDICT_FIELDS", "aa_control", "aa_spread", "band", "cell_estimates",
    "claim_p", "claim_p_against", "effective_margin", "estimate_pairs", "false_win_rate", "holm",
    "paired_log_ratios", "ratio_ci", "round_medians", "spread_test", "t_estimates", "verdicts",
]  # fmt: skip
