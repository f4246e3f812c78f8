"""Statistics behind verdicts, claims, cell summaries and the A/A control: the door.

The round (one job) is the unit of independent evidence (:mod:`.estimates`); one
decision procedure labels comparison groups and judges claims (:mod:`.decide`); cells
get their intervals and noise flags from their rounds (:mod:`.cells`).
"""

from .cells import cell_estimates, noise_by_kind, spread_test
from .decide import (
    PAIR_FIELDS,
    TESTS,
    VERDICT_FIELDS,
    aa_control,
    aa_spread,
    claim_p,
    claim_p_against,
    competitors,
    false_win_rate,
    family_verdicts,
    holm,
    holm_thresholds,
    round_pairs,
    verdicts,
    wall_margins,
)  # fmt: skip
from .estimates import (
    MIN_ROUNDS,
    band,
    estimate_pairs,
    interval_at,
    paired_log_ratios,
    ratio_ci,
    round_medians,
    t_estimates,
)
from .margins import MARGIN_METRICS, METRIC_MARGIN, Margins, margin_text

__all__ = [
    "MARGIN_METRICS", "METRIC_MARGIN", "MIN_ROUNDS", "Margins", "PAIR_FIELDS", "TESTS", "VERDICT_FIELDS", "aa_control", "aa_spread", "band", "cell_estimates",
    "claim_p", "claim_p_against", "competitors", "estimate_pairs", "false_win_rate", "family_verdicts", "holm", "holm_thresholds", "interval_at",
    "margin_text", "noise_by_kind", "paired_log_ratios", "ratio_ci", "round_pairs", "round_medians", "spread_test", "t_estimates", "verdicts", "wall_margins",
]  # fmt: skip
