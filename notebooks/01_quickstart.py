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
# # Quickstart: from a cohort to a report
#
# `crlm_outcomes` runs the whole chain **load → stratify → analyse → present**. This notebook
# uses the synthetic demo cohort (simulated patients, not real data), so it runs anywhere.
# The command-line equivalent of everything below is
#
# ```bash
# crlm-outcomes report --demo          # writes reports/demo/report.html
# ```

# %%
import warnings

from crlm_outcomes import kaplan_meier, synthetic_cohort
from crlm_outcomes.errors import DataQualityWarning
from crlm_outcomes.report import table_one
from crlm_outcomes.stratify import apply_all

warnings.simplefilter("ignore", DataQualityWarning)  # excluded rows are listed in results

cohort = synthetic_cohort(n=300, seed=1)
cohort  # noqa: B018 - the audit: rows in / loaded / quarantined, provenance

# %% [markdown]
# Add every guideline category and prognostic score the data allow, then keep the patients
# who had a liver resection.

# %%
data = apply_all(cohort)
resected = data[data["liver_resection_date"].notna()]
len(resected)

# %% [markdown]
# Table 1 by Fong risk group: tidy frame in `.table`, styled HTML in Jupyter.

# %%
t1 = table_one(resected, "fong_group", ["age_at_diagnosis", "sex", "liver_mets_number",
                                        "cea_at_liver_diagnosis", "ras_class"],
               nonnormal=["liver_mets_number", "cea_at_liver_diagnosis"])
t1  # noqa: B018

# %% [markdown]
# Overall survival by Fong group (agrees with R's `survfit`).

# %%
km = kaplan_meier(resected, "os_months", "os_event", by="fong_group")
km.median()

# %%
ax = km.plot()

# %% [markdown]
# ## The same as a reproducible report
#
# A YAML spec describes the analysis; `build_report` writes the HTML report, every figure
# (PNG/SVG/PDF), every table (CSV/HTML/LaTeX) and a `manifest.json` with hashes.

# %%
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from crlm_outcomes.report import build_report, parse_spec  # noqa: E402

spec = parse_spec({
    "title": "Quickstart report",
    "cohort": {"demo": True, "n": 200},
    "filters": [{"column": "liver_resection_date", "op": "notna",
                 "label": "Liver resection"}],
    "endpoints": ["os"],
    "stratifiers": ["fong_group"],
    "output": {"figure_formats": ["png"], "table_formats": ["csv"]},
})
out = Path(tempfile.mkdtemp()) / "quickstart"
result = build_report(spec, out, jobs=1)
sorted(result.outputs)[:5], result.html.name
