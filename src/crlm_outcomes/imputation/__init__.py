"""crlm_outcomes.imputation: multiple imputation by chained equations and Rubin's rules."""

from crlm_outcomes.imputation.mice import Imputations as Imputations
from crlm_outcomes.imputation.mice import impute as impute
from crlm_outcomes.imputation.mice import nelson_aalen_at_exit as nelson_aalen_at_exit
from crlm_outcomes.imputation.pooling import PooledModel as PooledModel
from crlm_outcomes.imputation.pooling import PooledRMST as PooledRMST
from crlm_outcomes.imputation.pooling import PooledSurvival as PooledSurvival
from crlm_outcomes.imputation.pooling import barnard_rubin_df as barnard_rubin_df
from crlm_outcomes.imputation.pooling import pool_cox as pool_cox
from crlm_outcomes.imputation.pooling import pool_fine_gray as pool_fine_gray
from crlm_outcomes.imputation.pooling import pool_km as pool_km
from crlm_outcomes.imputation.pooling import pool_rmst as pool_rmst
from crlm_outcomes.imputation.pooling import rubin_rules as rubin_rules
