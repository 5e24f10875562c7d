"""The report's sections, one module each, in page order.

Each module has one entry point that takes the build context (and the index of the spec entry),
runs its analysis, writes its figures and tables through the context's writer and appends one
section to ``ctx.sections``:

* :mod:`.flow` - cohort flow (attrition per filter, the loader's quarantine, flow diagram);
* :mod:`.table_one` - Table 1 by the main comparison;
* :mod:`.km` - Kaplan-Meier curves per endpoint and stratifier, with numbers at risk, medians,
  survival at fixed times and log-rank tests;
* :mod:`.cox` - Cox models: HR table, forest plot, proportional-hazards test and scaled
  Schoenfeld residual plots;
* :mod:`.competing_risks` - cumulative incidence of recurrence vs death without recurrence;
* :mod:`.landmark` - landmark analyses;
* :mod:`.imputation`, :mod:`.matching`, :mod:`.score_validation` - multiple imputation,
  matched comparisons, prognostic-score validation.

Every section records what it prints in the build's disclosure ledger
(:mod:`crlm_outcomes.report.disclosure_check`; the helpers of the model, competing-risks,
score, imputation and matching sections are in :mod:`._disclosure`).

A section whose columns are absent or all missing is replaced by a "Not analysed" note
(:mod:`._common`).
"""
