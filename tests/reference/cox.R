# Reference values for crlm_outcomes.survival.cox (coxph, cox.zph, concordance, predict, survfit).
#
# Run from the repository root:  Rscript tests/reference/cox.R
# R 4.2.2, survival 3.5-3. Every data set used is exported to CSV next to the outputs
# (tests/reference/cox/), numbers are written with 17 significant digits. All values go to one
# long table cox/values.csv: case, what, key, value.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") == "3.5.3")

out_dir <- file.path("tests", "reference", "cox")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

source(file.path("tests", "reference", "_common.R"))

rows <- list()
put <- function(case, what, key, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, what = what, key = as.character(key),
                                          value = sprintf("%.17g", as.numeric(value)))
}

record <- function(case, fit, newdata = NULL, zph = TRUE, warn = NULL) {
  s <- summary(fit)
  cf <- s$coefficients
  put(case, "n", "n", fit$n)
  put(case, "nevent", "nevent", fit$nevent)
  put(case, "loglik", c("initial", "final"), fit$loglik)
  put(case, "coef", names(fit$coefficients), fit$coefficients)
  put(case, "se", names(fit$coefficients), sqrt(diag(if (is.null(fit$naive.var)) fit$var
                                                      else fit$naive.var)))
  if (!is.null(fit$naive.var)) put(case, "robust_se", names(fit$coefficients), sqrt(diag(fit$var)))
  put(case, "z", rownames(cf), cf[, "z"])
  put(case, "p", rownames(cf), cf[, "Pr(>|z|)"])
  ci <- s$conf.int
  put(case, "lower", rownames(ci), ci[, "lower .95"])
  put(case, "upper", rownames(ci), ci[, "upper .95"])
  # summary() rounds the printed Wald and score statistics; take the unrounded fit values
  df <- sum(!is.na(fit$coefficients))
  tst <- c(likelihood_ratio = 2 * (fit$loglik[2] - fit$loglik[1]), wald = fit$wald.test,
           score = fit$score)
  if (!is.null(fit$rscore)) tst <- c(tst, robust_score = fit$rscore)
  put(case, "test", names(tst), tst)
  put(case, "test_df", names(tst), rep(df, length(tst)))
  put(case, "test_p", names(tst), pchisq(tst, df, lower.tail = FALSE))
  put(case, "summary_logtest", names(s$logtest), s$logtest)
  put(case, "concordance", names(fit$concordance), fit$concordance)
  put(case, "means", names(fit$means), fit$means)
  put(case, "iter", "iter", fit$iter)
  if (zph) {
    z <- cox.zph(fit)
    put(case, "zph_chisq", rownames(z$table), z$table[, "chisq"])
    put(case, "zph_df", rownames(z$table), z$table[, "df"])
    put(case, "zph_p", rownames(z$table), z$table[, "p"])
    zf <- cox.zph(fit, terms = FALSE)
    put(case, "zph_cols_chisq", rownames(zf$table), zf$table[, "chisq"])
    zi <- cox.zph(fit, transform = "identity")
    put(case, "zph_identity_chisq", rownames(zi$table), zi$table[, "chisq"])
    put(case, "zph_rank_chisq", rownames(zi$table), cox.zph(fit, transform = "rank")$table[, "chisq"])
    zl <- tryCatch(cox.zph(fit, transform = "log")$table[, "chisq"],   # log(0) fails
                   error = function(e) rep(NA, nrow(zi$table)))
    put(case, "zph_log_chisq", rownames(zi$table), zl)
    put(case, "zph_y", seq_along(z$y), as.vector(z$y))
    put(case, "zph_x", seq_along(z$x), z$x)
  }
  if (!is.null(newdata)) {
    put(case, "predict_lp", seq_len(nrow(newdata)), predict(fit, newdata, type = "lp"))
    put(case, "predict_risk", seq_len(nrow(newdata)), predict(fit, newdata, type = "risk"))
    sf <- survfit(fit, newdata = newdata)
    sm <- as.matrix(sf$surv)
    put(case, "survfit_time", seq_along(sf$time), sf$time)
    put(case, "survfit_surv", seq_along(sm), as.vector(sm))
    # standard error of the cumulative hazard (R's std.err for a Cox curve) and the default
    # conf.type = "log" limits of survival
    put(case, "survfit_std_err", seq_along(sm), as.vector(as.matrix(sf$std.err)))
    put(case, "survfit_lower", seq_along(sm), as.vector(as.matrix(sf$lower)))
    put(case, "survfit_upper", seq_along(sm), as.vector(as.matrix(sf$upper)))
    sfl <- survfit(fit, newdata = newdata, conf.type = "log-log", conf.int = 0.9)
    put(case, "survfit_loglog90_lower", seq_along(sm), as.vector(as.matrix(sfl$lower)))
    put(case, "survfit_loglog90_upper", seq_along(sm), as.vector(as.matrix(sfl$upper)))
    put(case, "survfit_ncurve", "n", ncol(sm))
  }
  put(case, "predict_lp_fitted", seq_along(fit$linear.predictors), predict(fit, type = "lp"))
}

# ---------------------------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------------------------
lung2 <- lung[, c("inst", "time", "status", "age", "sex", "ph.ecog", "ph.karno", "wt.loss")]
lung2$status <- as.numeric(lung2$status - 1L)
save_csv(lung2, "data_lung.csv")

vet <- veteran
save_csv(vet, "data_veteran.csv")
put("meta", "levels_celltype", seq_along(levels(vet$celltype)), seq_along(levels(vet$celltype)))
writeLines(levels(vet$celltype), file.path(out_dir, "levels_celltype.txt"))

ova <- ovarian
set.seed(20241121)
ova$w_int <- as.numeric(sample(1:3, nrow(ova), replace = TRUE))
ova$w_frac <- round(runif(nrow(ova), 0.5, 2.5), 3)
save_csv(ova, "data_ovarian.csv")

col <- colon[colon$etype == 2, c("id", "rx", "sex", "age", "nodes", "time", "status")]
col2 <- colon[, c("id", "rx", "sex", "age", "nodes", "time", "status", "etype")]
save_csv(col2, "data_colon.csv")
writeLines(levels(colon$rx), file.path(out_dir, "levels_rx.txt"))

hrt <- heart
save_csv(hrt, "data_heart.csv")

rt <- rats
save_csv(rt, "data_rats.csv")

set.seed(42)
n <- 400
syn <- data.frame(id = 1:n, x1 = round(rnorm(n), 3), x2 = rbinom(n, 1, 0.4),
                  g = sample(c("a", "b", "c"), n, replace = TRUE),
                  site = sample(c("s1", "s2"), n, replace = TRUE),
                  w = as.numeric(sample(1:3, n, replace = TRUE)))
haz <- exp(0.5 * syn$x1 - 0.7 * syn$x2 + ifelse(syn$g == "b", 0.4, ifelse(syn$g == "c", -0.3, 0)))
tt <- rexp(n, haz * 0.08)
cc <- runif(n, 5, 30)
syn$time <- pmax(1, ceiling(pmin(tt, cc)))
syn$status <- as.numeric(tt <= cc)
syn$entry <- ifelse(seq_len(n) %% 3 == 0, pmax(0, syn$time - sample(1:4, n, replace = TRUE)), 0)
syn$entry[syn$entry >= syn$time] <- 0
syn$x3 <- syn$x1 + 2 * syn$x2          # aliased with x1 and x2
syn$sep <- as.integer(syn$time <= 3 & syn$status == 1)  # near-separating covariate
save_csv(syn, "data_synthetic.csv")

# ---------------------------------------------------------------------------------------------
# Fits
# ---------------------------------------------------------------------------------------------
nd_lung <- data.frame(age = c(50, 70), sex = c(1, 2), ph.ecog = c(0, 2), wt.loss = c(0, 10))
record("lung_efron", coxph(Surv(time, status) ~ age + sex + ph.ecog + wt.loss, lung2),
       newdata = nd_lung)
record("lung_breslow", coxph(Surv(time, status) ~ age + sex + ph.ecog + wt.loss, lung2,
                             ties = "breslow"), newdata = nd_lung)
nd_lung_s <- data.frame(age = c(50, 70), wt.loss = c(0, 10), sex = c(1, 2))
record("lung_strata", coxph(Surv(time, status) ~ age + wt.loss + strata(sex), lung2),
       newdata = nd_lung_s)

nd_vet <- data.frame(trt = c(1, 2), celltype = factor(c("squamous", "adeno"),
                     levels = levels(vet$celltype)), karno = c(60, 80), age = c(60, 50))
record("veteran_factor", coxph(Surv(time, status) ~ trt + celltype + karno + age, vet),
       newdata = nd_vet)
record("veteran_interaction", coxph(Surv(time, status) ~ trt + celltype + karno + karno:trt,
                                    vet), newdata = nd_vet)

record("ovarian_wint", coxph(Surv(futime, fustat) ~ age + rx + ecog.ps, ova, weights = w_int))
record("ovarian_wfrac", coxph(Surv(futime, fustat) ~ age + rx + ecog.ps, ova, weights = w_frac))
record("ovarian_robust", coxph(Surv(futime, fustat) ~ age + rx, ova, robust = TRUE))

record("colon_cluster", coxph(Surv(time, status) ~ rx + sex + age + nodes, col2,
                              cluster = id), zph = TRUE)
record("colon_strata_cluster", coxph(Surv(time, status) ~ rx + sex + age + strata(etype), col2,
                                     cluster = id, ties = "breslow"), zph = TRUE)

nd_heart <- data.frame(age = c(-5, 5), year = c(2, 4), surgery = c(0, 1),
                       transplant = factor(c(0, 1), levels = levels(hrt$transplant)))
record("heart_startstop", coxph(Surv(start, stop, event) ~ age + year + surgery + transplant,
                                hrt), newdata = nd_heart)
record("heart_startstop_breslow", coxph(Surv(start, stop, event) ~ age + year + surgery +
                                        transplant, hrt, ties = "breslow"))
record("heart_startstop_cluster", coxph(Surv(start, stop, event) ~ age + surgery + transplant,
                                        hrt, cluster = id), newdata = nd_heart)

record("rats_cluster", coxph(Surv(time, status) ~ rx + sex, rt, cluster = litter))

nd_syn <- data.frame(x1 = c(0, 1), x2 = c(0, 1), g = c("a", "c"), site = c("s1", "s2"))
record("syn_efron", coxph(Surv(time, status) ~ x1 + x2 + g, syn), newdata = nd_syn)
record("syn_breslow", coxph(Surv(time, status) ~ x1 + x2 + g, syn, ties = "breslow"),
       newdata = nd_syn)
record("syn_strata_weights", coxph(Surv(time, status) ~ x1 + x2 + g + strata(site), syn,
                                   weights = w), newdata = nd_syn)
record("syn_strata_weights_cluster", coxph(Surv(time, status) ~ x1 + x2 + strata(site), syn,
                                           weights = w, cluster = g), newdata = nd_syn)
record("syn_entry", coxph(Surv(entry, time, status) ~ x1 + x2 + g, syn), newdata = nd_syn)
record("syn_entry_strata", coxph(Surv(entry, time, status) ~ x1 + x2 + strata(site), syn,
                                 ties = "breslow"), newdata = nd_syn)
record("syn_interaction", coxph(Surv(time, status) ~ x1 * g + x2, syn))
record("syn_aliased", coxph(Surv(time, status) ~ x1 + x2 + x3, syn), zph = FALSE)
record("syn_monotone", suppressWarnings(coxph(Surv(time, status) ~ x1 + sep, syn)), zph = FALSE)
syn0 <- syn
syn0$time[1:6] <- 0   # zero-length follow-up, censored and events, tied at 0
save_csv(syn0, "data_synthetic_zero.csv")
record("syn_zero_time", coxph(Surv(time, status) ~ x1 + x2, syn0))

values <- do.call(rbind, rows)
write.csv(values, file.path(out_dir, "values.csv"), row.names = FALSE)
cat("wrote", nrow(values), "values\n")

# Smooth of plot.cox.zph (veteran model, term karno): grid, fit and band, as plot.cox.zph does
fit <- coxph(Surv(time, status) ~ trt + celltype + karno + age, vet)
z <- cox.zph(fit)
xx <- z$x; yy <- z$y[, "karno"]
pred.x <- seq(from = min(xx), to = max(xx), length = 40)
lmat <- splines::ns(c(pred.x, xx), df = 4, intercept = TRUE)
pmat <- lmat[1:40, ]; xmat <- lmat[-(1:40), ]
qmat <- qr(xmat)
yhat <- pmat %*% qr.coef(qmat, yy)
bk <- backsolve(qmat$qr[1:4, 1:4], diag(4))
xtx <- bk %*% t(bk)
seval <- ((pmat %*% xtx) * pmat) %*% rep(1, 4)
band <- 2 * sqrt(z$var[3, 3] * seval)
smooth <- data.frame(grid = pred.x, fit = as.vector(yhat), band = as.vector(band))
save_csv(smooth, "zph_smooth_veteran_karno.csv")
