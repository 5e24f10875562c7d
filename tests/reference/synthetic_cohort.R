# Reference values on the package's own synthetic CRLM cohort (survival 3.5-3, cmprsk 2.2-11).
#
# Run from the repository root, after (re)exporting the cohort if the export script changed:
#   python tests/reference/make_synthetic_cohort_csv.py
#   Rscript tests/reference/synthetic_cohort.R
#
# Input : tests/reference/synthetic_cohort/cohort.csv (synthetic_cohort(n = 800,
#         seed = 20251121) + stratify.apply_all + a stabilised IPTW weight; 17 significant
#         digits) and levels.csv (factor level order; the first level is the reference).
# Output: tests/reference/synthetic_cohort/*.csv, every number printed with sprintf("%.17g").
#   km_curves.csv    summary(survfit, censored = TRUE) for every KM case
#   km_at.csv        summary(survfit, times = c(12, 36, 60))
#   km_table.csv     summary(survfit, rmean = 60)$table (median + CI, rmean, se(rmean))
#   km_quantile.csv  quantile(survfit, c(0.25, 0.5, 0.75))
#   values.csv       long table (case, what, key, value): survdiff, coxph, cox.zph,
#                    concordance, cuminc tests, crr
#   cox_newdata.csv  summary(survfit(coxfit, newdata), times = c(12, 36, 60))
#   cuminc_curves.csv    cuminc step functions (value after each jump, per distinct time)
#   cuminc_timepoints.csv timepoints(cuminc, c(12, 36, 60))
#   versions.txt     R and package versions
# Rows with a missing value in a variable of an analysis are dropped (R's na.omit); the Python
# side must drop the same rows.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
stopifnot(packageVersion("survival") == "3.5.3", packageVersion("cmprsk") == "2.2.11")

dir <- file.path("tests", "reference", "synthetic_cohort")
d <- read.csv(file.path(dir, "cohort.csv"), na.strings = "", stringsAsFactors = FALSE)
lv <- read.csv(file.path(dir, "levels.csv"), na.strings = character(0), stringsAsFactors = FALSE)
for (col in unique(lv$column)) {
  levs <- lv$level[lv$column == col][order(lv$position[lv$column == col])]
  stopifnot(all(is.na(d[[col]]) | d[[col]] %in% levs))
  d[[col]] <- factor(d[[col]], levels = levs)
}
stopifnot(nrow(d) == 800, all(d$cea_at_liver_diagnosis > 0, na.rm = TRUE))
d$log_cea <- log(d$cea_at_liver_diagnosis)

g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", as.numeric(x)))
full <- function(df) {
  for (nm in names(df)) if (is.numeric(df[[nm]])) df[[nm]] <- g17(df[[nm]])
  df
}
save_csv <- function(df, name) {
  write.csv(full(df), file.path(dir, name), row.names = FALSE, na = "")
}
strip <- function(s) sub("^[^=]*=", "", as.character(s))

# ------------------------------------------------------------------------------------------
# Kaplan-Meier
# ------------------------------------------------------------------------------------------
TIMES <- c(12, 36, 60)
km_cases <- list(
  os_fong_log = list(f = Surv(os_months, os_event) ~ fong_group, conf = "log"),
  os_fong_loglog = list(f = Surv(os_months, os_event) ~ fong_group, conf = "log-log"),
  os_fong_plain = list(f = Surv(os_months, os_event) ~ fong_group, conf = "plain"),
  os_game_log = list(f = Surv(os_months, os_event) ~ game_group, conf = "log"),
  os_game_loglog = list(f = Surv(os_months, os_event) ~ game_group, conf = "log-log"),
  os_game_plain = list(f = Surv(os_months, os_event) ~ game_group, conf = "plain"),
  os_all_log = list(f = Surv(os_months, os_event) ~ 1, conf = "log"),
  rfs_fong_log = list(f = Surv(rfs_months, rfs_event) ~ fong_group, conf = "log"),
  hepatic_rfs_ras_loglog = list(f = Surv(hepatic_rfs_months, hepatic_rfs_event) ~ ras_class,
                                conf = "log-log"),
  # IPTW-weighted curves: non-integer weights, so survfit uses the robust (IJ) variance
  os_neoadj_iptw_log = list(f = Surv(os_months, os_event) ~ neoadjuvant_chemo, conf = "log",
                            w = TRUE)
)
curves <- list(); at <- list(); tabs <- list(); quant <- list()
for (case in names(km_cases)) {
  kc <- km_cases[[case]]
  fit <- if (isTRUE(kc$w)) {
    survfit(kc$f, data = d, conf.type = kc$conf, weights = iptw_neoadjuvant)
  } else {
    survfit(kc$f, data = d, conf.type = kc$conf)
  }
  grp <- function(s, n) if (is.null(s$strata)) rep("all", n) else strip(s$strata)
  s <- summary(fit, censored = TRUE)
  curves[[case]] <- data.frame(case = case, group = grp(s, length(s$time)), time = s$time,
                               n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor,
                               survival = s$surv, std_err = s$std.err, lower = s$lower,
                               upper = s$upper)
  s <- summary(fit, times = TIMES)
  at[[case]] <- data.frame(case = case, group = grp(s, length(s$time)), time = s$time,
                           n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor,
                           survival = s$surv, std_err = s$std.err, lower = s$lower,
                           upper = s$upper)
  tb <- summary(fit, rmean = 60)$table
  if (is.null(dim(tb))) tb <- t(as.matrix(tb))
  tabs[[case]] <- data.frame(case = case,
                             group = if (is.null(fit$strata)) "all" else strip(rownames(tb)),
                             records = tb[, "records"], n = tb[, "n.start"],
                             events = tb[, "events"],
                             rmean = tb[, "rmean"], se_rmean = tb[, "se(rmean)"],
                             median = tb[, "median"], lower = tb[, "0.95LCL"],
                             upper = tb[, "0.95UCL"])
  q <- quantile(fit, c(0.25, 0.5, 0.75))
  qq <- function(m) if (is.null(dim(m))) t(as.matrix(m)) else m
  qe <- qq(q$quantile); ql <- qq(q$lower); qu <- qq(q$upper)
  gnames <- if (is.null(fit$strata)) "all" else strip(rownames(qe))
  for (i in seq_len(nrow(qe))) {
    quant[[paste(case, i)]] <- data.frame(case = case, group = gnames[i], p = c(0.25, 0.5, 0.75),
                                          quantile = qe[i, ], lower = ql[i, ], upper = qu[i, ])
  }
}
save_csv(do.call(rbind, curves), "km_curves.csv")
save_csv(do.call(rbind, at), "km_at.csv")
save_csv(do.call(rbind, tabs), "km_table.csv")
save_csv(do.call(rbind, quant), "km_quantile.csv")

# ------------------------------------------------------------------------------------------
# long table of scalar results
# ------------------------------------------------------------------------------------------
rows <- list()
put <- function(case, what, key, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, what = what, key = as.character(key),
                                          value = g17(value))
}

# survdiff (log-rank rho = 0, Peto-Peto rho = 1, stratified)
lr_cases <- list(
  os_game_rho0 = list(f = Surv(os_months, os_event) ~ game_group, rho = 0),
  os_game_rho1 = list(f = Surv(os_months, os_event) ~ game_group, rho = 1),
  os_game_strata_sex = list(f = Surv(os_months, os_event) ~ game_group + strata(sex), rho = 0),
  os_game_strata_sex_rho1 = list(f = Surv(os_months, os_event) ~ game_group + strata(sex),
                                 rho = 1),
  os_fong_rho0 = list(f = Surv(os_months, os_event) ~ fong_group, rho = 0),
  rfs_ras_rho0 = list(f = Surv(rfs_months, rfs_event) ~ ras_class, rho = 0)
)
for (case in names(lr_cases)) {
  sd <- survdiff(lr_cases[[case]]$f, data = d, rho = lr_cases[[case]]$rho)
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  g <- strip(names(sd$n))
  df <- sum(ex > 0) - 1
  put(case, "chisq", "chisq", sd$chisq)
  put(case, "df", "df", df)
  put(case, "p", "p", pchisq(sd$chisq, df, lower.tail = FALSE))
  put(case, "n", g, sd$n)
  put(case, "observed", g, obs)
  put(case, "expected", g, ex)
  put(case, "var_diag", g, diag(sd$var))
}

# coxph
RHS <- paste("age_at_diagnosis + sex + kras_status + primary_node_positive +",
             "extrahepatic_disease + log_cea + liver_mets_timing")
RHS_NOSEX <- paste("age_at_diagnosis + kras_status + primary_node_positive +",
                   "extrahepatic_disease + log_cea + liver_mets_timing")
# os_iptw: IPTW case weights (non-integer, so coxph uses the robust sandwich variance);
# os_cluster_year: one row per patient, so the only grouping available is calendar year of
# diagnosis; it is a numerical check of the grouped sandwich (cluster()), not a clinical model.
# newdata for predict()/survfit(): the first 3 rows of cohort.csv with complete covariates.
cox_rhs <- list(
  os_efron = RHS, os_breslow = RHS,
  os_strata_sex = paste(RHS_NOSEX, "+ strata(sex)"),
  os_iptw = paste("neoadjuvant_chemo +", RHS),
  os_cluster_year = paste(RHS, "+ cluster(diagnosis_year)"),
  rfs_efron = RHS
)
cox_ties <- c(os_breslow = "breslow")
newdata_rows <- which(complete.cases(d[, c("age_at_diagnosis", "sex", "kras_status",
                                           "primary_node_positive", "extrahepatic_disease",
                                           "log_cea", "liver_mets_timing",
                                           "neoadjuvant_chemo")]))[1:3]
put("newdata", "rows", 1:3, newdata_rows)   # 1-based rows of cohort.csv
nd <- d[newdata_rows, ]
newdata_out <- list()
for (case in names(cox_rhs)) {
  lhs <- if (startsWith(case, "rfs")) "Surv(rfs_months, rfs_event)" else
    "Surv(os_months, os_event)"
  f <- as.formula(paste(lhs, "~", cox_rhs[[case]]))
  ties <- if (case %in% names(cox_ties)) cox_ties[[case]] else "efron"
  fit <- if (case == "os_iptw") {
    coxph(f, data = d, ties = ties, weights = iptw_neoadjuvant)
  } else {
    coxph(f, data = d, ties = ties)
  }
  s <- summary(fit)
  cf <- s$coefficients
  put(case, "n", "n", fit$n)
  put(case, "nevent", "nevent", fit$nevent)
  put(case, "loglik", c("initial", "final"), fit$loglik)
  put(case, "coef", names(fit$coefficients), fit$coefficients)
  put(case, "se", names(fit$coefficients),
      sqrt(diag(if (is.null(fit$naive.var)) fit$var else fit$naive.var)))
  if (!is.null(fit$naive.var)) put(case, "robust_se", names(fit$coefficients), sqrt(diag(fit$var)))
  put(case, "z", rownames(cf), cf[, "z"])
  put(case, "p", rownames(cf), cf[, "Pr(>|z|)"])
  put(case, "lower", rownames(s$conf.int), s$conf.int[, "lower .95"])
  put(case, "upper", rownames(s$conf.int), s$conf.int[, "upper .95"])
  df <- sum(!is.na(fit$coefficients))
  tst <- c(likelihood_ratio = 2 * (fit$loglik[2] - fit$loglik[1]), wald = fit$wald.test,
           score = fit$score)
  if (!is.null(fit$rscore)) tst <- c(tst, robust_score = fit$rscore)
  put(case, "test", names(tst), tst)
  put(case, "test_df", names(tst), rep(df, length(tst)))
  put(case, "test_p", names(tst), pchisq(tst, df, lower.tail = FALSE))
  put(case, "concordance", names(fit$concordance), fit$concordance)
  put(case, "means", names(fit$means), fit$means)
  z <- cox.zph(fit, transform = "km", terms = TRUE)
  put(case, "zph_chisq", rownames(z$table), z$table[, "chisq"])
  put(case, "zph_df", rownames(z$table), z$table[, "df"])
  put(case, "zph_p", rownames(z$table), z$table[, "p"])
  put(case, "predict_lp", 1:3, predict(fit, newdata = nd, type = "lp"))
  sf <- survfit(fit, newdata = nd)
  ss <- summary(sf, times = TIMES)
  if (case != "os_strata_sex") {
    for (i in 1:3) {
      newdata_out[[paste(case, i)]] <- data.frame(case = case, row = i, time = ss$time,
                                                  surv = ss$surv[, i], cumhaz = ss$cumhaz[, i],
                                                  std_err = ss$std.err[, i])
    }
  } else {
    # one curve per newdata row, in that row's stratum
    for (i in 1:3) {
      si <- summary(sf[i], times = TIMES)
      newdata_out[[paste(case, i)]] <- data.frame(case = case, row = i, time = si$time,
                                                  surv = si$surv, cumhaz = si$cumhaz,
                                                  std_err = si$std.err)
    }
  }
}
save_csv(do.call(rbind, newdata_out), "cox_newdata.csv")

# standalone concordance of a prognostic score with OS (coxph's orientation: reverse = TRUE)
for (sc in c("fong_score", "game_score")) {
  cc <- concordance(as.formula(paste("Surv(os_months, os_event) ~", sc)), data = d,
                    reverse = TRUE)
  put(paste0("concordance_", sc), "count", names(cc$count), cc$count)
  put(paste0("concordance_", sc), "concordance", "concordance", cc$concordance)
  put(paste0("concordance_", sc), "std", "std", sqrt(cc$var))
}

# ------------------------------------------------------------------------------------------
# competing risks: recurrence (1) vs death without recurrence (2)
# ------------------------------------------------------------------------------------------
ci_cases <- list(
  rfs_fong = list(group = "fong_group", strata = NULL, rho = 0),
  rfs_fong_strata_sex = list(group = "fong_group", strata = "sex", rho = 0),
  rfs_game_rho1 = list(group = "game_group", strata = NULL, rho = 1),
  rfs_all = list(group = NULL, strata = NULL, rho = 0)
)
ci_curves <- list(); ci_tp <- list()
for (case in names(ci_cases)) {
  cc <- ci_cases[[case]]
  vars <- c("rfs_months", "rfs_cause", cc$group, cc$strata)
  sub <- d[complete.cases(d[, vars]), ]
  args <- list(ftime = sub$rfs_months, fstatus = sub$rfs_cause, rho = cc$rho, cencode = 0)
  if (!is.null(cc$group)) args$group <- sub[[cc$group]]
  if (!is.null(cc$strata)) args$strata <- sub[[cc$strata]]
  fit <- do.call(cuminc, args)
  put(case, "n", "n", nrow(sub))
  if (!is.null(fit$Tests)) {
    tt <- fit$Tests
    put(case, "gray_stat", rownames(tt), tt[, "stat"])
    put(case, "gray_p", rownames(tt), tt[, "pv"])
    put(case, "gray_df", rownames(tt), tt[, "df"])
  }
  curves_only <- fit[names(fit) != "Tests"]
  for (nm in names(curves_only)) {
    x <- curves_only[[nm]]
    keep <- !duplicated(x$time, fromLast = TRUE)
    ci_curves[[paste(case, nm)]] <- data.frame(case = case, curve = nm, time = x$time[keep],
                                               est = x$est[keep], var = x$var[keep])
  }
  tp <- timepoints(fit, TIMES)
  for (nm in rownames(tp$est)) {
    ci_tp[[paste(case, nm)]] <- data.frame(case = case, curve = nm, time = TIMES,
                                           est = tp$est[nm, ], var = tp$var[nm, ])
  }
}
save_csv(do.call(rbind, ci_curves), "cuminc_curves.csv")
save_csv(do.call(rbind, ci_tp), "cuminc_timepoints.csv")

# Fine-Gray (complete cases of the covariates and the outcome; model.matrix would otherwise
# drop rows and misalign cov1 with ftime)
FG_VARS <- c("rfs_months", "rfs_cause", "age_at_diagnosis", "sex", "kras_status",
             "primary_node_positive", "extrahepatic_disease", "log_cea", "liver_mets_timing")
cc <- d[complete.cases(d[, FG_VARS]), ]
cov1 <- model.matrix(as.formula(paste("~", RHS)), data = cc)[, -1]
# No death without recurrence among the complete cases with extrahepatic disease: that
# coefficient diverges (monotone pseudo-likelihood), so the death model leaves it out.
fg_cases <- list(
  fg_recurrence = list(failcode = 1, cengroup = NULL, drop = character(0)),
  fg_death = list(failcode = 2, cengroup = NULL, drop = "extrahepatic_disease"),
  fg_recurrence_cengroup_sex = list(failcode = 1, cengroup = "sex", drop = character(0))
)
for (case in names(fg_cases)) {
  fc <- fg_cases[[case]]
  x <- cov1[, !(colnames(cov1) %in% fc$drop), drop = FALSE]
  fit <- if (is.null(fc$cengroup)) {
    crr(cc$rfs_months, cc$rfs_cause, x, failcode = fc$failcode, cencode = 0)
  } else {
    crr(cc$rfs_months, cc$rfs_cause, x, failcode = fc$failcode, cencode = 0,
        cengroup = cc[[fc$cengroup]])
  }
  if (!fit$converged) stop("crr did not converge: ", case)
  put(case, "n", "n", fit$n)
  put(case, "coef", names(fit$coef), fit$coef)
  put(case, "se", names(fit$coef), sqrt(diag(fit$var)))
  put(case, "var", paste(rep(names(fit$coef), each = length(fit$coef)),
                         rep(names(fit$coef), length(fit$coef))), as.vector(fit$var))
  put(case, "loglik", "loglik", fit$loglik)
  put(case, "loglik_null", "loglik_null", fit$loglik.null)
}

save_csv(do.call(rbind, rows), "values.csv")
writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("cmprsk", as.character(packageVersion("cmprsk")))),
           file.path(dir, "versions.txt"))
cat("wrote", dir, "\n")
