# Reference values for crlm_outcomes.imputation.pooling (Rubin's rules, Barnard-Rubin df).
#
# Run from the repository root:  Rscript tests/reference/pooling.R
# R 4.2.2, mice 3.15.0, survival 3.5-3, cmprsk 2.2-11. The m = 5 completed data sets are made
# here by mice and written to pooling/completed.csv (long: .imp = 1..5); the Python tests fit
# their own models on exactly these data sets and pool them. Numbers have 17 significant digits.
#
# Data: survival::mgus2 with extra missing values of hgb, creat and mspike deleted at random
# (MAR on age and sex, seeded) so that the fraction of missing information is not negligible.
# Imputation model (White & Royston 2009): the covariates, the Nelson-Aalen cumulative hazard of
# death and the death indicator.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(mice)
})
stopifnot(packageVersion("mice") == "3.15.0", packageVersion("survival") == "3.5.3",
          packageVersion("cmprsk") == "2.2.11")

out_dir <- file.path("tests", "reference", "pooling")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
source(file.path("tests", "reference", "_common.R"))

m0 <- survival::mgus2
d <- data.frame(id = m0$id, age = m0$age, sex = factor(m0$sex, c("F", "M")), hgb = m0$hgb,
                creat = m0$creat, mspike = m0$mspike, futime = m0$futime, death = m0$death,
                etime = ifelse(m0$pstat == 0, m0$futime, m0$ptime),
                event = ifelse(m0$pstat == 0, 2 * m0$death, 1))
set.seed(20240611)
n <- nrow(d)
p_miss <- plogis(-2 + 0.03 * (d$age - 70) + 0.5 * (d$sex == "M"))
d$hgb[runif(n) < p_miss] <- NA
d$creat[runif(n) < p_miss] <- NA
d$mspike[runif(n) < 0.5 * p_miss] <- NA
d$na_hazard <- nelsonaalen(d, futime, death)
save_csv(data.frame(id = d$id, futime = d$futime, death = d$death, na_hazard = d$na_hazard),
         "nelsonaalen.csv")
pred <- make.predictorMatrix(d)
pred[, c("id", "futime", "etime", "event")] <- 0
meth <- make.method(d)
imp <- mice(d, m = 5, method = meth, predictorMatrix = pred, seed = 11, printFlag = FALSE)
long <- complete(imp, action = "long")
long$sex <- as.character(long$sex)
long$hgb_low <- ifelse(long$hgb < 12, "low", "normal")
save_csv(long[, c(".imp", "id", "age", "sex", "hgb", "creat", "mspike", "futime", "death",
                  "etime", "event", "hgb_low")], "completed.csv")

# ---------------------------------------------------------------------------------------------
# Cox: mice::pool on coxph fits (dfcom = events - coefficients, taken from the fit)
# ---------------------------------------------------------------------------------------------
out <- list()
put <- function(df, what) {
  df$what <- what
  out[[length(out) + 1]] <<- df
}
pool_table <- function(p) {
  s <- summary(p, conf.int = TRUE)
  pp <- p$pooled
  data.frame(term = as.character(pp$term), estimate = pp$estimate, ubar = pp$ubar, b = pp$b,
             t = pp$t, dfcom = pp$dfcom, df = pp$df, riv = pp$riv, lambda = pp$lambda,
             fmi = pp$fmi, std_error = s$std.error, statistic = s$statistic, p = s$p.value,
             lower = s[["2.5 %"]], upper = s[["97.5 %"]])
}
cox_fit <- with(imp, coxph(Surv(futime, death) ~ age + sex + hgb + creat + mspike))
put(pool_table(pool(cox_fit)), "cox")

# Breslow ties and a dfcom given explicitly
cox_b <- with(imp, coxph(Surv(futime, death) ~ age + sex + hgb, ties = "breslow"))
put(pool_table(pool(cox_b, dfcom = 100)), "cox_breslow_dfcom100")

# ---------------------------------------------------------------------------------------------
# Fine-Gray (crr): pool.scalar per coefficient, dfcom = events of the cause - coefficients
# ---------------------------------------------------------------------------------------------
fg_rows <- list()
fgs <- lapply(1:5, function(i) {
  di <- complete(imp, i)
  x <- model.matrix(~ age + sex + hgb + creat, data = di)[, -1]
  crr(di$etime, di$event, x, failcode = 1, cencode = 0)
})
qm <- t(sapply(fgs, function(f) f$coef))
um <- t(sapply(fgs, function(f) diag(f$var)))
n_cause <- sum(complete(imp, 1)$event == 1)
for (j in seq_len(ncol(qm))) {
  ps <- pool.scalar(qm[, j], um[, j], n = n_cause, k = ncol(qm))
  se <- sqrt(ps$t)
  q <- qt(0.975, ps$df)
  fg_rows[[j]] <- data.frame(term = colnames(qm)[j], estimate = ps$qbar, ubar = ps$ubar,
                             b = ps$b, t = ps$t, dfcom = n_cause - ncol(qm), df = ps$df,
                             riv = ps$r, lambda = (1 + 1 / 5) * ps$b / ps$t, fmi = ps$fmi,
                             std_error = se, statistic = ps$qbar / se,
                             p = 2 * pt(-abs(ps$qbar / se), ps$df),
                             lower = ps$qbar - q * se, upper = ps$qbar + q * se)
}
put(do.call(rbind, fg_rows), "fine_gray")

# ---------------------------------------------------------------------------------------------
# Kaplan-Meier by an imputed group, at chosen times, pooled on the cloglog scale (dfcom = Inf)
# ---------------------------------------------------------------------------------------------
times <- c(24, 60, 120, 240)
km_rows <- list()
for (g in c("low", "normal")) {
  for (tt in times) {
    s <- sapply(1:5, function(i) {
      di <- long[long$.imp == i & long$hgb_low == g, ]
      sm <- summary(survfit(Surv(futime, death) ~ 1, data = di), times = tt)
      c(sm$surv, sm$std.err)
    })
    q <- log(-log(s[1, ]))
    u <- (s[2, ] / (s[1, ] * log(s[1, ])))^2
    ps <- pool.scalar(q, u)
    se <- sqrt(ps$t)
    cr <- qt(0.975, ps$df)
    km_rows[[length(km_rows) + 1]] <- data.frame(
      group = g, time = tt, estimate = ps$qbar, ubar = ps$ubar, b = ps$b, t = ps$t,
      df = ps$df, fmi = ps$fmi, survival = exp(-exp(ps$qbar)),
      lower = exp(-exp(ps$qbar + cr * se)), upper = exp(-exp(ps$qbar - cr * se)))
  }
}
save_csv(do.call(rbind, km_rows), "km_pooled.csv")

# Pooled median: the first time the pooled curve (and its limits) is at or below 0.5, on the
# union of the imputations' times in the group (times where every curve is 1 are skipped).
med_rows <- list()
for (g in c("low", "normal")) {
  fits <- lapply(1:5, function(i) survfit(Surv(futime, death) ~ 1,
                                          data = long[long$.imp == i & long$hgb_low == g, ]))
  grid <- sort(unique(unlist(lapply(fits, function(f) f$time[f$n.event > 0]))))
  vals <- lapply(fits, function(f) summary(f, times = grid, extend = TRUE))
  S <- sapply(vals, function(v) v$surv)
  E <- sapply(vals, function(v) v$std.err)
  est <- lo <- hi <- rep(NA_real_, length(grid))
  for (k in seq_along(grid)) {
    if (all(S[k, ] < 1) && all(S[k, ] > 0)) {
      ps <- pool.scalar(log(-log(S[k, ])), (E[k, ] / (S[k, ] * log(S[k, ])))^2)
      cr <- qt(0.975, ps$df)
      est[k] <- exp(-exp(ps$qbar))
      lo[k] <- exp(-exp(ps$qbar + cr * sqrt(ps$t)))
      hi[k] <- exp(-exp(ps$qbar - cr * sqrt(ps$t)))
    }
  }
  first_below <- function(y) { i <- which(!is.na(y) & y <= 0.5); if (length(i)) grid[i[1]] else NA }
  med_rows[[g]] <- data.frame(group = g, median = first_below(est), lower = first_below(lo),
                              upper = first_below(hi))
}
save_csv(do.call(rbind, med_rows), "km_median_pooled.csv")

# ---------------------------------------------------------------------------------------------
# RMST by group up to tau = 120 (print.survfit's rmean and se), pooled with dfcom = Inf
# ---------------------------------------------------------------------------------------------
rm_rows <- list()
for (g in c("low", "normal")) {
  s <- sapply(1:5, function(i) {
    f <- survfit(Surv(futime, death) ~ 1, data = long[long$.imp == i & long$hgb_low == g, ])
    tb <- summary(f, rmean = 120)$table
    c(tb[["rmean"]], tb[["se(rmean)"]])
  })
  ps <- pool.scalar(s[1, ], s[2, ]^2)
  se <- sqrt(ps$t)
  cr <- qt(0.975, ps$df)
  rm_rows[[g]] <- data.frame(group = g, tau = 120, estimate = ps$qbar, ubar = ps$ubar, b = ps$b,
                             t = ps$t, df = ps$df, fmi = ps$fmi, std_error = se,
                             lower = ps$qbar - cr * se, upper = ps$qbar + cr * se)
}
save_csv(do.call(rbind, rm_rows), "rmst_pooled.csv")

save_csv(do.call(rbind, out), "pooled.csv")
writeLines(c(R.version.string, paste("mice", packageVersion("mice")),
             paste("survival", packageVersion("survival")),
             paste("cmprsk", packageVersion("cmprsk"))), file.path(out_dir, "versions.txt"))
