"""What the synthetic cohort's generating model implies for Fong vs GAME (README claim).

Both scores are rebuilt from the true (complete) generating covariates; GAME's CEA >= 20 point
is approximated by the model's CEA > 200 indicator (the truth has no raw CEA).
"""

from __future__ import annotations

import numpy as np

from crlm_outcomes.datasets import synthetic_truth
from crlm_outcomes.validation._concordance_core import concordance_counts


def test_generating_model_does_not_rank_game_above_fong():
    tr = synthetic_truth(4000, 11)
    t = tr["death_months_latent"].to_numpy()
    e = np.ones(t.size, dtype=np.int64)
    fong = (
        tr[["node_positive", "dfi_lt_12m", "multiple_lesions", "cea_gt_200", "largest_gt_5cm"]]
        .sum(axis=1)
        .to_numpy(float)
    )
    game = (
        tr["ras_mutant"]
        + tr["node_positive"]
        + tr["tbs_3_to_9"]
        + 2 * tr["tbs_ge_9"]
        + 2 * tr["extrahepatic_disease"]
        + tr["cea_gt_200"]
    ).to_numpy(float)
    c_true = concordance_counts(t, e, tr["lp_os"].to_numpy(float)).concordance
    c_fong = concordance_counts(t, e, fong).concordance
    c_game = concordance_counts(t, e, game).concordance
    assert abs(c_game - c_fong) < 0.02  # about equal by construction
    assert max(c_fong, c_game) < c_true - 0.03  # both well below the true linear predictor
