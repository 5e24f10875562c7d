# Reference values for crlm_outcomes.formula (rcs knots and basis) and the spline Cox fits:
# rms::rcs / Hmisc::rcspline.eval knots and basis, rms::cph coefficients, standard errors and
# log-likelihoods (Efron ties), rms::anova Wald tests (term and nonlinear part) and
# rms::Predict hazard ratios against the adjust-to value (ref.zero = TRUE, fun = exp).
#
# Run from the repository root:  Rscript tests/reference/splines.R
# R 4.2.2, rms 6.5-0, Hmisc 4.8-0, survival 3.5-3 (Debian r-cran-rms). The data sets used are
# written next to the outputs (tests/reference/splines/), numbers with 17 significant digits.
# All values go to one long table splines/values.csv: case, what, key, value.
# Data: survival::lung (complete cases of time, status, age, sex, ph.ecog, wt.loss; status
# recoded 0/1; also the women only, n < 100, which moves the outer knots) and survival::colon
# (death records, etype == 2, complete cases). The knots come from the rows of the fit, so the
# fitted data sets have no missing values (see crlm_outcomes.formula.splines).
# cph's default convergence criterion (eps = 1e-4 on the log-likelihood) stops short of coxph's
# 1e-9 (coefficients then differ by up to ~1e-4 relative); the fits use eps = 1e-10 so that the
# reference is the converged estimate.
suppressPackageStartupMessages(library(rms))
stopifnot(packageVersion("rms") == "6.5.0", packageVersion("Hmisc") == "4.8.0",
          packageVersion("survival") == "3.5.3")

out_dir <- file.path("tests", "reference", "splines")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
source(file.path("tests", "reference", "_common.R"))

rows <- list()
put <- function(case, what, key, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, what = what, key = as.character(key),
                                          value = sprintf("%.17g", as.numeric(value)))
}

lung_cc <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")])
lung_cc$status <- lung_cc$status - 1
rownames(lung_cc) <- NULL
save_csv(lung_cc, "data_lung.csv")
lung_f <- lung_cc[lung_cc$sex == 2, ]
colon_cc <- na.omit(colon[colon$etype == 2, c("time", "status", "age", "sex", "nodes", "rx")])
colon_cc$rx <- as.character(colon_cc$rx)
rownames(colon_cc) <- NULL
save_csv(colon_cc, "data_colon.csv")

# ---- knots and basis ---------------------------------------------------------------------
knot_case <- function(case, x, nk) {
  k <- suppressWarnings(rcspline.eval(x, nk = nk, knots.only = TRUE))
  put(case, "knots", seq_along(k), k)
}
for (nk in 3:7) {
  knot_case(sprintf("lung_age_%d", nk), lung_cc$age, nk)
  knot_case(sprintf("lung_female_age_%d", nk), lung_f$age, nk)
  knot_case(sprintf("colon_age_%d", nk), colon_cc$age, nk)
  knot_case(sprintf("colon_nodes_%d", nk), colon_cc$nodes, nk)
  knot_case(sprintf("lung_wtloss_%d", nk), lung_cc$wt.loss, nk)
}
# an end value holding >= 5 % of the data (fractied): it becomes its own knot
tied <- c(rep(0, 30), seq(0.5, 100, length.out = 170))
write.csv(data.frame(x = sprintf("%.17g", tied)), file.path(out_dir, "data_tied.csv"),
          row.names = FALSE)
for (nk in 3:6) knot_case(sprintf("tied_%d", nk), tied, nk)

xs <- c(30, 39, 44.6, 50, 59, 63.5, 67, 75.4, 80, 90)
for (kn in list(c(44.6, 59, 67, 75.4), c(40, 50, 60, 70, 80), c(45, 60, 75))) {
  b <- rcspline.eval(xs, knots = kn, inclx = TRUE)
  case <- paste0("basis_", paste(kn, collapse = "_"))
  for (j in seq_len(ncol(b))) put(case, sprintf("col%d", j), xs, b[, j])
}

# ---- cph fits, anova, Predict ------------------------------------------------------------
record_fit <- function(case, fit, var, grid) {
  put(case, "coef", names(coef(fit)), coef(fit))
  put(case, "se", names(coef(fit)), sqrt(diag(vcov(fit))))
  put(case, "loglik", c("initial", "final"), fit$loglik)
  put(case, "n", "n", fit$stats["Obs"])
  for (v in names(fit$Design$parms)) {
    kn <- fit$Design$parms[[v]]
    if (is.numeric(kn)) put(case, paste0("knots_", v), seq_along(kn), kn)
  }
  a <- anova(fit)
  lab <- rownames(a)
  # " Nonlinear" rows belong to the factor above them
  owner <- lab
  for (i in seq_along(lab)) if (lab[i] == " Nonlinear") owner[i] <- paste0(owner[i - 1], " nonlinear")
  put(case, "anova_chisq", owner, a[, "Chi-Square"])
  put(case, "anova_df", owner, a[, "d.f."])
  put(case, "anova_p", owner, a[, "P"])
  args <- list(fit, grid, ref.zero = TRUE, fun = exp)
  names(args)[2] <- var
  p <- as.data.frame(do.call(Predict, args))
  put(case, "pred_hr", p[[var]], p$yhat)
  put(case, "pred_lower", p[[var]], p$lower)
  put(case, "pred_upper", p[[var]], p$upper)
  put(case, "adjust_to", var, dd$limits["Adjust to", var])
  pd <- as.data.frame(eval(as.call(list(as.name("Predict"), fit, as.name(var),
                                         ref.zero = TRUE, fun = exp))))
  put(case, "default_grid", c("n", "first", "last"), c(nrow(pd), min(pd[[var]]), max(pd[[var]])))
}

cph_conv <- function(formula, data) cph(formula, data = data, eps = 1e-10, iter.max = 50)

dd <- datadist(lung_cc); options(datadist = "dd")
g <- seq(40, 80, by = 2.5)
record_fit("lung_rcs3", cph_conv(Surv(time, status) ~ rcs(age, 3), lung_cc), "age", g)
record_fit("lung_rcs4_sex", cph_conv(Surv(time, status) ~ rcs(age, 4) + sex, lung_cc), "age", g)
record_fit("lung_rcs5_sex_ecog",
           cph_conv(Surv(time, status) ~ rcs(age, 5) + sex + ph.ecog, lung_cc), "age", g)
record_fit("lung_rcs4_rcs3_sex",
           cph_conv(Surv(time, status) ~ rcs(age, 4) + rcs(wt.loss, 3) + sex, lung_cc),
           "age", g)
# with an interaction, the other variable is held at its adjust-to value (sex = 1); rms's anova
# then pools rows differently ("Factor+Higher Order Factors"), compared for the fit only
record_fit("lung_rcs4_x_sex", cph_conv(Surv(time, status) ~ rcs(age, 4) * sex, lung_cc), "age", g)
record_fit("lung_knots", cph_conv(Surv(time, status) ~ rcs(age, c(50, 60, 70)) + sex, lung_cc),
           "age", g)

dd <- datadist(lung_f); options(datadist = "dd")
record_fit("lung_female_rcs4", cph_conv(Surv(time, status) ~ rcs(age, 4), lung_f), "age",
           seq(45, 75, by = 5))

dd <- datadist(colon_cc); options(datadist = "dd")
gc <- seq(30, 75, by = 5)
record_fit("colon_rcs3_rx", cph_conv(Surv(time, status) ~ rcs(age, 3) + rx, colon_cc), "age",
           gc)
record_fit("colon_rcs4", cph_conv(Surv(time, status) ~ rcs(age, 4), colon_cc), "age", gc)
record_fit("colon_rcs5_nodes_rx",
           cph_conv(Surv(time, status) ~ rcs(age, 5) + rcs(nodes, 4) + rx + sex, colon_cc),
           "nodes", seq(0, 20, by = 2))

out <- do.call(rbind, rows)
write.csv(out, file.path(out_dir, "values.csv"), row.names = FALSE)
writeLines(c(R.version.string, paste("rms", packageVersion("rms")),
             paste("Hmisc", packageVersion("Hmisc")),
             paste("survival", packageVersion("survival"))),
           file.path(out_dir, "versions.txt"))
cat("wrote", nrow(out), "values\n")
