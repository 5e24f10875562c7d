# Reference values for crlm_outcomes.validation (concordance, time-dependent AUC, Brier, IPA).
#
# Run from the repository root:  Rscript tests/reference/validation.R
# R 4.2.2, survival 3.5-3, riskRegression 2022.11.28, rms 6.5-0, prodlim 2019.11.13 (versions are
# also written to validation/versions.txt). Every data set used is exported to CSV next to the
# outputs (tests/reference/validation/), numbers are written with 17 significant digits.
suppressPackageStartupMessages({
  library(survival)
  library(riskRegression)
  library(prodlim)
  library(rms)
})
stopifnot(packageVersion("survival") == "3.5.3")
stopifnot(packageVersion("riskRegression") == "2022.11.28")

out_dir <- file.path("tests", "reference", "validation")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
source(file.path("tests", "reference", "_common.R"))

writeLines(c(R.version.string,
             paste("survival", packageVersion("survival")),
             paste("riskRegression", packageVersion("riskRegression")),
             paste("rms", packageVersion("rms")),
             paste("prodlim", packageVersion("prodlim"))),
           file.path(out_dir, "versions.txt"))

# ---------------------------------------------------------------------------------------------
# Data sets (complete cases of the columns used)
# ---------------------------------------------------------------------------------------------
# lung: status 1 = censored, 2 = dead -> event 0/1; integer days with many ties.
lu <- survival::lung
lung <- data.frame(time = lu$time, event = as.integer(lu$status == 2), age = lu$age,
                   sex = lu$sex, ph_ecog = lu$ph.ecog, ph_karno = lu$ph.karno,
                   wt_loss = lu$wt.loss)
lung <- lung[complete.cases(lung), ]
rownames(lung) <- NULL
# pbc (first 312, randomised): death (status 2) as the event, transplant censored.
pb <- survival::pbc[1:312, ]
pbc <- data.frame(time = pb$time, event = as.integer(pb$status == 2), age = pb$age,
                  bili = pb$bili, albumin = pb$albumin, edema = pb$edema, stage = pb$stage,
                  protime = pb$protime)
pbc <- pbc[complete.cases(pbc), ]
rownames(pbc) <- NULL
pbc$log_bili <- log(pbc$bili)
# a points score like the clinical ones: 0-4 from bilirubin, albumin and edema
pbc$points <- (pbc$bili > 2) + (pbc$bili > 6) + (pbc$albumin < 3.5) + (pbc$edema > 0)
# mgus2: progression (1) vs death without progression (2), 0 censored.
m <- survival::mgus2
mgus <- data.frame(time = ifelse(m$pstat == 0, m$futime, m$ptime),
                   event = ifelse(m$pstat == 0, 2 * m$death, 1), age = m$age,
                   male = as.integer(m$sex == "M"), hgb = m$hgb, mspike = m$mspike)
mgus <- mgus[complete.cases(mgus), ]
rownames(mgus) <- NULL

# ---------------------------------------------------------------------------------------------
# survival::concordance: Harrell / Uno (timewt), ymax, several predictors, differences
# ---------------------------------------------------------------------------------------------
conc_rows <- list(); var_rows <- list(); diff_rows <- list()
do_conc <- function(case, data, vars, timewt, ymax = NULL, reverse = TRUE) {
  # several predictors at once: survival's own multi-fit path, concordance(fit1, fit2, ...),
  # with each predictor as a Cox fit whose coefficient is fixed at 1 (iter.max = 0), so the
  # linear predictor is the predictor itself, centred (same ordering)
  fits <- lapply(vars, function(v) {
    coxph(as.formula(paste("Surv(time, event) ~", v)), data = data, init = 1,
          control = coxph.control(iter.max = 0))
  })
  cf <- if (length(vars) == 1) {
    concordance(as.formula(paste("Surv(time, event) ~", vars)), data = data, timewt = timewt,
                ymax = ymax, reverse = reverse)
  } else {
    stopifnot(reverse)
    do.call(concordance, c(fits, list(timewt = timewt, ymax = ymax)))
  }
  cc <- if (length(vars) == 1) matrix(cf$count, nrow = 1) else cf$count
  cn <- cf$concordance
  vv <- if (length(vars) == 1) matrix(cf$var, 1, 1) else cf$var
  for (i in seq_along(vars)) {
    conc_rows[[length(conc_rows) + 1]] <<- data.frame(
      case = case, predictor = vars[i], timewt = timewt,
      ymax = if (is.null(ymax)) NA else ymax, reverse = reverse, n = cf$n,
      concordance = unname(cn[i]), std_err = sqrt(vv[i, i]),
      concordant = cc[i, 1], discordant = cc[i, 2], tied_x = cc[i, 3], tied_y = cc[i, 4],
      tied_xy = cc[i, 5])
    for (j in seq_along(vars)) {
      var_rows[[length(var_rows) + 1]] <<- data.frame(
        case = case, timewt = timewt, ymax = if (is.null(ymax)) NA else ymax,
        row = vars[i], col = vars[j], var = vv[i, j])
    }
  }
  if (length(vars) >= 2) {
    ctr <- c(1, -1, rep(0, length(vars) - 2))
    d <- sum(ctr * cn); se <- sqrt(drop(t(ctr) %*% vv %*% ctr))
    diff_rows[[length(diff_rows) + 1]] <<- data.frame(
      case = case, timewt = timewt, ymax = if (is.null(ymax)) NA else ymax,
      first = vars[1], second = vars[2], delta = d, std_err = se,
      lower = d - qnorm(0.975) * se, upper = d + qnorm(0.975) * se,
      p = 2 * pnorm(-abs(d / se)))
  }
}
for (tw in c("n", "S", "S/G", "n/G2")) {
  do_conc("lung", lung, c("ph_ecog", "age", "ph_karno"), tw)
  do_conc("lung_ymax", lung, c("ph_ecog", "age", "ph_karno"), tw, ymax = 500)
  do_conc("pbc", pbc, c("log_bili", "points", "age"), tw)
  do_conc("pbc_ymax", pbc, c("log_bili", "points", "age"), tw, ymax = 2000)
}
# reverse = FALSE (higher value = longer survival): albumin, Karnofsky
do_conc("pbc_forward", pbc, c("albumin"), "n", reverse = FALSE)
do_conc("lung_forward", lung, c("ph_karno"), "S/G", reverse = FALSE)
# two Cox fits: concordance(fit1, fit2)
f1 <- coxph(Surv(time, event) ~ age + sex, data = lung)
f2 <- coxph(Surv(time, event) ~ age + sex + ph_ecog + ph_karno, data = lung)
cf <- concordance(f1, f2)
lung$lp1 <- f1$linear.predictors
lung$lp2 <- f2$linear.predictors
ctr <- c(1, -1); d <- sum(ctr * cf$concordance); se <- sqrt(drop(t(ctr) %*% cf$var %*% ctr))
diff_rows[[length(diff_rows) + 1]] <- data.frame(
  case = "lung_coxfits", timewt = "n", ymax = NA, first = "lp1", second = "lp2", delta = d,
  std_err = se, lower = d - qnorm(0.975) * se, upper = d + qnorm(0.975) * se,
  p = 2 * pnorm(-abs(d / se)))
for (i in 1:2) for (j in 1:2) var_rows[[length(var_rows) + 1]] <- data.frame(
  case = "lung_coxfits", timewt = "n", ymax = NA, row = c("lp1", "lp2")[i],
  col = c("lp1", "lp2")[j], var = cf$var[i, j])
for (i in 1:2) conc_rows[[length(conc_rows) + 1]] <- data.frame(
  case = "lung_coxfits", predictor = c("lp1", "lp2")[i], timewt = "n", ymax = NA,
  reverse = TRUE, n = cf$n, concordance = unname(cf$concordance[i]),
  std_err = sqrt(cf$var[i, i]), concordant = cf$count[i, 1], discordant = cf$count[i, 2],
  tied_x = cf$count[i, 3], tied_y = cf$count[i, 4], tied_xy = cf$count[i, 5])

save_csv(do.call(rbind, conc_rows), "concordance.csv")
save_csv(do.call(rbind, var_rows), "concordance_var.csv")
save_csv(do.call(rbind, diff_rows), "concordance_diff.csv")

# ---------------------------------------------------------------------------------------------
# riskRegression::Score: AUC (IF standard errors), Brier, IPA, contrasts; KM censoring model
# ---------------------------------------------------------------------------------------------
auc_rows <- list(); brier_rows <- list(); dauc_rows <- list(); dbrier_rows <- list()
do_score <- function(case, data, preds, times, formula, cause = 1) {
  sc <- Score(preds, formula = formula, data = data, times = times,
              metrics = c("auc", "brier"), summary = c("ipa", "ibs"), cens.model = "km",
              se.fit = TRUE, conservative = FALSE, null.model = TRUE, contrasts = TRUE,
              cause = cause)
  a <- as.data.frame(sc$AUC$score)
  auc_rows[[length(auc_rows) + 1]] <<- data.frame(
    case = case, model = as.character(a$model), time = a$times, auc = a$AUC, se = a$se,
    lower = a$lower, upper = a$upper)
  b <- as.data.frame(sc$Brier$score)
  brier_rows[[length(brier_rows) + 1]] <<- data.frame(
    case = case, model = as.character(b$model), time = b$times, brier = b$Brier, se = b$se,
    lower = b$lower, upper = b$upper, ipa = b$IPA, ibs = b$IBS)
  ca <- as.data.frame(sc$AUC$contrasts)
  dauc_rows[[length(dauc_rows) + 1]] <<- data.frame(
    case = case, model = as.character(ca$model), reference = as.character(ca$reference),
    time = ca$times, delta = ca$delta.AUC, se = ca$se, lower = ca$lower, upper = ca$upper,
    p = ca$p)
  cb <- as.data.frame(sc$Brier$contrasts)
  cb <- cb[as.character(cb$reference) != "Null model", ]
  dbrier_rows[[length(dbrier_rows) + 1]] <<- data.frame(
    case = case, model = as.character(cb$model), reference = as.character(cb$reference),
    time = cb$times, delta = cb$delta.Brier, se = cb$se, lower = cb$lower, upper = cb$upper,
    p = cb$p)
}
risk_cols <- function(data, prefix, mat, times) {
  for (k in seq_along(times)) data[[sprintf("%s_%g", prefix, times[k])]] <- mat[, k]
  data
}
# lung: two Cox models (time-specific risk matrices) and a numeric score (ECOG) taken as the
# predicted risk at every time (AUC only is meaningful for it, Brier is reported as R gives it)
lt <- c(180, 365, 540)
c1 <- coxph(Surv(time, event) ~ age + sex, data = lung, x = TRUE)
c2 <- coxph(Surv(time, event) ~ age + sex + ph_ecog + ph_karno, data = lung, x = TRUE)
r1 <- predictRisk(c1, newdata = lung, times = lt)
r2 <- predictRisk(c2, newdata = lung, times = lt)
lung <- risk_cols(lung, "risk1", r1, lt)
lung <- risk_cols(lung, "risk2", r2, lt)
do_score("lung", lung, list(cox1 = r1, cox2 = r2), lt, Surv(time, event) ~ 1)
do_score("lung_ecog", lung, list(ecog = lung$ph_ecog / 3, age = lung$age / 100), lt,
         Surv(time, event) ~ 1)
# pbc: two Cox models
pt <- c(1000, 2000, 3000)
p1 <- coxph(Surv(time, event) ~ log_bili + age, data = pbc, x = TRUE)
p2 <- coxph(Surv(time, event) ~ log_bili + age + albumin + edema + protime, data = pbc, x = TRUE)
q1 <- predictRisk(p1, newdata = pbc, times = pt)
q2 <- predictRisk(p2, newdata = pbc, times = pt)
pbc <- risk_cols(pbc, "risk1", q1, pt)
pbc <- risk_cols(pbc, "risk2", q2, pt)
do_score("pbc", pbc, list(cox1 = q1, cox2 = q2), pt, Surv(time, event) ~ 1)
# mgus2 competing risks, cause 1: cause-specific Cox models (CSC) risks
mt <- c(60, 120, 240)
m1 <- CSC(Hist(time, event) ~ age + male, data = mgus)
m2 <- CSC(Hist(time, event) ~ age + male + hgb + mspike, data = mgus)
s1 <- predictRisk(m1, newdata = mgus, times = mt, cause = 1)
s2 <- predictRisk(m2, newdata = mgus, times = mt, cause = 1)
mgus <- risk_cols(mgus, "risk1", s1, mt)
mgus <- risk_cols(mgus, "risk2", s2, mt)
do_score("mgus", mgus, list(csc1 = s1, csc2 = s2), mt, Hist(time, event) ~ 1, cause = 1)

# ---------------------------------------------------------------------------------------------
# Calibration at t (Austin, Harrell & van Klaveren 2020): slope = coefficient of
# cll = log(-log(1 - p)) in coxph (crr for a cause); smoothed observed risk from a model with
# rms::rcs(cll, 3) -> ICI (mean), E50 (median), E90 (90th percentile) of |observed - predicted|
# ---------------------------------------------------------------------------------------------
cal_rows <- list()
do_cal <- function(case, data, col, t, cause = NULL) {
  p <- pmin(pmax(data[[col]], 1e-10), 1 - 1e-10)   # as the Python side: risks clipped
  d <- data.frame(time = data$time, event = data$event, cll = log(-log(1 - p)))
  if (is.null(cause)) {
    f1 <- coxph(Surv(time, event) ~ cll, data = d)
    slope <- unname(coef(f1)); se <- sqrt(f1$var[1, 1])
    f3 <- coxph(Surv(time, event) ~ rcs(cll, 3), data = d)
    sf <- survfit(f3, newdata = d)
    obs <- 1 - summary(sf, times = t)$surv[1, ]
  } else {
    f1 <- cmprsk::crr(d$time, d$event, cov1 = cbind(d$cll), failcode = cause, cencode = 0)
    slope <- unname(f1$coef); se <- sqrt(f1$var[1, 1])
    basis <- rcspline.eval(d$cll, nk = 3, inclx = TRUE)
    f3 <- cmprsk::crr(d$time, d$event, cov1 = basis, failcode = cause, cencode = 0)
    pr <- predict(f3, cov1 = basis)
    k <- max(which(pr[, 1] <= t))
    obs <- pr[k, -1]
  }
  diff <- abs(obs - p)
  cal_rows[[length(cal_rows) + 1]] <<- data.frame(
    case = case, column = col, time = t, slope = slope, slope_se = se, ici = mean(diff),
    e50 = median(diff), e90 = unname(quantile(diff, 0.9)))
}
do_cal("pbc", pbc, "risk1_2000", 2000)
do_cal("pbc", pbc, "risk2_2000", 2000)
do_cal("lung", lung, "risk2_365", 365)
do_cal("mgus", mgus, "risk2_120", 120, cause = 1)
save_csv(do.call(rbind, cal_rows), "calibration.csv")

save_csv(do.call(rbind, auc_rows), "score_auc.csv")
save_csv(do.call(rbind, brier_rows), "score_brier.csv")
save_csv(do.call(rbind, dauc_rows), "score_auc_contrasts.csv")
save_csv(do.call(rbind, dbrier_rows), "score_brier_contrasts.csv")

save_csv(lung, "data_lung.csv")
save_csv(pbc, "data_pbc.csv")
save_csv(mgus, "data_mgus2.csv")
