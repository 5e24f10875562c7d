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
# # Survival analysis
#
# Kaplan-Meier, log-rank, Cox regression with a proportional-hazards check, and competing
# risks (recurrence vs death without recurrence). All estimates are tested against R
# (survival 3.5-3, cmprsk 2.2-11).

# %%
import warnings

from crlm_outcomes import cox, cumulative_incidence, kaplan_meier, logrank, synthetic_cohort
from crlm_outcomes.errors import DataQualityWarning
from crlm_outcomes.report import regression_table
from crlm_outcomes.stratify import apply_all

warnings.simplefilter("ignore", DataQualityWarning)

data = apply_all(synthetic_cohort(n=400, seed=11))
resected = data[data["liver_resection_date"].notna()]

# %% [markdown]
# ## Kaplan-Meier and log-rank

# %%
km = kaplan_meier(resected, "os_months", "os_event", by="ras_class", conf_type="log-log")
km.at([12, 36, 60])

# %%
logrank(resected, "os_months", "os_event", by="ras_class")

# %%
ax = km.plot()

# %% [markdown]
# ## Cox proportional hazards

# %%
fit = cox(resected, "age_at_diagnosis + sex + ras_class + extrahepatic_disease",
          "os_months", "os_event", ties="efron")
regression_table(fit)

# %%
fit.ph_test()

# %%
ax = fit.plot_forest()

# %% [markdown]
# ## Competing risks
#
# `rfs_cause`: 1 = recurrence, 2 = death without recurrence.

# %%
cif = cumulative_incidence(resected, "rfs_months", "rfs_cause", by="fong_group")
cif.at([12, 36])

# %%
ax = cif.plot(cause_labels={1: "Recurrence", 2: "Death without recurrence"})
