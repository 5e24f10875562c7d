"""crlm_outcomes.validation: discrimination, calibration and clinical usefulness of prognostic
scores, agreeing with R (survival::concordance, riskRegression::Score)."""

from crlm_outcomes.validation.auc import TimeAUCResult as TimeAUCResult
from crlm_outcomes.validation.auc import time_auc as time_auc
from crlm_outcomes.validation.bootstrap import BootstrapResult as BootstrapResult
from crlm_outcomes.validation.bootstrap import bootstrap_validation as bootstrap_validation
from crlm_outcomes.validation.brier import BrierResult as BrierResult
from crlm_outcomes.validation.brier import brier_score as brier_score
from crlm_outcomes.validation.brier import integrated_brier as integrated_brier
from crlm_outcomes.validation.calibration import CalibrationResult as CalibrationResult
from crlm_outcomes.validation.calibration import calibration as calibration
from crlm_outcomes.validation.compare import ScoreComparison as ScoreComparison
from crlm_outcomes.validation.compare import compare_scores as compare_scores
from crlm_outcomes.validation.concordance import ConcordanceResult as ConcordanceResult
from crlm_outcomes.validation.concordance import concordance as concordance
from crlm_outcomes.validation.decision import DecisionCurveResult as DecisionCurveResult
from crlm_outcomes.validation.decision import decision_curve as decision_curve
from crlm_outcomes.validation.risk_model import predicted_risk as predicted_risk
