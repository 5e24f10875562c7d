# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Stratification: guideline categories and prognostic scores
#
# Every stratifier is a pure function of the canonical cohort returning a Categorical (or a
# score) with the reason for every patient it cannot classify. `apply_all` adds them all.

# %%
from crlm_outcomes import synthetic_cohort
from crlm_outcomes.stratify import (
    STRATIFIERS,
    apply_all,
    describe,
    explain,
    fong_group,
    fong_score,
    primary_sidedness,
)

cohort = synthetic_cohort(n=250, seed=3)
list(STRATIFIERS)[:10]

# %%
sided = primary_sidedness(cohort.data)
sided.value_counts(dropna=False)

# %% [markdown]
# Scores and their groups (Fong clinical risk score, Ann Surg 1999):

# %%
score = fong_score(cohort.data)
fong_group(score).value_counts(dropna=False)

# %%
explain(score).head()

# %% [markdown]
# All stratifiers at once, and a tidy count table with the missing values by reason:

# %%
data = apply_all(cohort)
describe(data, ["primary_sidedness", "ras_class", "fong_group"])
