# Reference standardised mean differences for crlm_outcomes._smd (the one SMD implementation used
# by balance_table, matching and Table 1), from MatchIt's summary(): "Std. Mean Diff." with
# estimand = "ATE", i.e. s.d.denom = "pooled": (m1 - m0) / sqrt((s1^2 + s0^2) / 2), binary
# covariates with p (1 - p) as variance, factor levels one row each, and after weighting the
# weighted means over the *unweighted* pooled SD (Austin, Stat Med 2009; Austin & Stuart, Stat Med
# 2015).
#
# Run from the repository root:  Rscript tests/reference/smd.R
# R 4.2.2, MatchIt 4.5.1.
# Data: MatchIt::lalonde (tests/reference/matching/data_lalonde.csv, written by matching.R).
# "all": summary(matchit(method = NULL, estimand = "ATE"))$sum.all;
# "weighted": subclassification on the propensity score (6 subclasses, ATE), its weights written
# beside, summary(m)$sum.across (the balance with the subclass weights).
suppressPackageStartupMessages(library(MatchIt))
stopifnot(packageVersion("MatchIt") == "4.5.1")

out_dir <- file.path("tests", "reference", "smd")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
source(file.path("tests", "reference", "_common.R"))

d <- read.csv(file.path("tests", "reference", "matching", "data_lalonde.csv"))
d$race <- factor(d$race, levels = c("black", "hispan", "white"))
f <- treat ~ age + educ + race + married + nodegree + re74 + re75

all <- summary(matchit(f, data = d, method = NULL, estimand = "ATE"))$sum.all
sub <- matchit(f, data = d, method = "subclass", subclass = 6, estimand = "ATE")
matched <- summary(sub)$sum.across  # subclassification: the weighted balance
terms <- setdiff(rownames(all), "distance")
out <- data.frame(term = terms, smd = all[terms, "Std. Mean Diff."],
                  smd_w = matched[terms, "Std. Mean Diff."],
                  mean_treated_w = matched[terms, "Means Treated"],
                  mean_control_w = matched[terms, "Means Control"])
save_csv(out, "matchit_smd.csv")
save_csv(data.frame(id = d$id, weights = sub$weights), "subclass_weights.csv")
writeLines(c(R.version.string, paste("MatchIt", packageVersion("MatchIt"))),
           file.path(out_dir, "versions.txt"))
