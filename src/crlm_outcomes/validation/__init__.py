"""crlm_outcomes.validation: discrimination, calibration and clinical usefulness of prognostic
scores, agreeing with R (survival::concordance, riskRegression::Score)."""

from crlm_outcomes.validation.auc import TimeAUCResult as TimeAUCResult
from crlm_outcomes.validation.auc import time_auc as time_auc
from crlm_outcomes.validation.brier import BrierResult as BrierResult
from crlm_outcomes.validation.brier import brier_score as brier_score
from crlm_outcomes.validation.brier import integrated_brier as integrated_brier
from crlm_outcomes.validation.concordance import ConcordanceResult as ConcordanceResult
from crlm_outcomes.validation.concordance import concordance as concordance
