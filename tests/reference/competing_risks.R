# Reference values for crlm_outcomes.survival.competing_risks / fine_gray / weighting.
#
# Run from the repository root:  Rscript tests/reference/competing_risks.R
# R 4.2.2, survival 3.5-3, cmprsk 2.2-11. Every data set used is exported to CSV next to the
# outputs (tests/reference/competing_risks/), numbers are written with 17 significant digits.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
stopifnot(packageVersion("cmprsk") == "2.2.11")

out_dir <- file.path("tests", "reference", "competing_risks")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

source(file.path("tests", "reference", "_common.R"))

# ---------------------------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------------------------
# 1. cmprsk's own example (?cuminc, ?crr): continuous times, 3 groups, 2 strata.
set.seed(2)
ss <- rexp(100)
gg <- factor(sample(1:3, 100, replace = TRUE), 1:3, c("a", "b", "c"))
cc <- sample(0:2, 100, replace = TRUE)
strt <- sample(1:2, 100, replace = TRUE)
set.seed(10)
cov <- matrix(runif(300), nrow = 100)
example <- data.frame(time = ss, status = cc, group = as.character(gg), strata = strt,
                      x1 = cov[, 1], x2 = cov[, 2], x3 = cov[, 3])
save_csv(example, "data_example.csv")

# 2. survival::mgus2: progression to plasma-cell malignancy (1) vs death without it (2).
m <- survival::mgus2
mg <- data.frame(id = m$id, age = m$age, sex = as.character(m$sex), hgb = m$hgb,
                 creat = m$creat, mspike = m$mspike,
                 etime = ifelse(m$pstat == 0, m$futime, m$ptime),
                 event = ifelse(m$pstat == 0, 2 * m$death, 1))
save_csv(mg, "data_mgus2.csv")

# 3. Seeded synthetic cohort with heavy ties (integer months), ties between causes and with
#    censoring at the same time, a 3-level factor, two censoring groups and a binary treatment.
set.seed(20261121)
n <- 400
syn <- data.frame(
  age = round(rnorm(n, 62, 10), 1),
  stage = sample(c("I", "II", "III"), n, replace = TRUE, prob = c(0.3, 0.4, 0.3)),
  site = sample(c("left", "right"), n, replace = TRUE),
  cea_high = rbinom(n, 1, 0.4)
)
lp <- -3 + 0.04 * syn$age + 0.5 * (syn$stage == "III") + 0.4 * syn$cea_high
syn$treated <- rbinom(n, 1, plogis(lp))
rate1 <- 0.03 * exp(0.4 * (syn$stage == "II") + 0.8 * (syn$stage == "III") - 0.3 * syn$treated)
rate2 <- 0.02 * exp(0.03 * (syn$age - 62))
t1 <- rexp(n, rate1); t2 <- rexp(n, rate2); cens <- runif(n, 5, 60)
tt <- pmin(t1, t2, cens)
syn$time <- ceiling(tt)
syn$status <- ifelse(tt == cens, 0, ifelse(tt == t1, 1, 2))
syn$cengroup <- ifelse(syn$site == "left", 1, 2)
syn$group <- syn$stage
syn$strata <- syn$site
save_csv(syn, "data_synthetic.csv")

# ---------------------------------------------------------------------------------------------
# cuminc: curves (jump points), timepoints and Gray tests
# ---------------------------------------------------------------------------------------------
curves <- list(); tps <- list(); tests <- list()
add_cuminc <- function(id, fit, times) {
  nms <- names(fit)[names(fit) != "Tests"]
  for (nm in nms) {
    cu <- fit[[nm]]
    k <- length(cu$time)
    idx <- if (k > 2) seq(3, k - 1, by = 2) else integer(0)
    curves[[length(curves) + 1]] <<- data.frame(
      analysis = id, curve = nm, time = cu$time[idx], est = cu$est[idx], var = cu$var[idx],
      max_time = cu$time[k])
  }
  tp <- timepoints(fit, times)
  for (i in seq_len(nrow(tp$est))) {
    tps[[length(tps) + 1]] <<- data.frame(
      analysis = id, curve = rownames(tp$est)[i], time = as.numeric(colnames(tp$est)),
      est = as.numeric(tp$est[i, ]), var = as.numeric(tp$var[i, ]))
  }
  if (!is.null(fit$Tests)) {
    tests[[length(tests) + 1]] <<- data.frame(
      analysis = id, cause = rownames(fit$Tests), stat = fit$Tests[, "stat"],
      pv = fit$Tests[, "pv"], df = fit$Tests[, "df"])
  }
}

add_cuminc("example_group", cuminc(ss, cc, gg), c(0, 0.2, 0.5, 1, 1.5, 2, 3, 10))
add_cuminc("example_group_strata", cuminc(ss, cc, gg, strt), c(0.5, 1))
add_cuminc("example_group_rho1", cuminc(ss, cc, gg, rho = 1), c(1))
add_cuminc("example_nogroup", cuminc(ss, cc), c(0.25, 0.75, 1.25))
add_cuminc("mgus2_sex", cuminc(mg$etime, mg$event, mg$sex), c(0, 12, 60, 120, 240, 360, 500))
add_cuminc("mgus2_sex_rho_m1", cuminc(mg$etime, mg$event, mg$sex, rho = -1), c(120))
add_cuminc("synthetic_stage", cuminc(syn$time, syn$status, syn$stage), c(0, 1, 6, 12, 24, 36, 59, 61))
add_cuminc("synthetic_stage_strata", cuminc(syn$time, syn$status, syn$stage, syn$strata),
           c(12, 24))
add_cuminc("synthetic_stage_strata_rho2",
           cuminc(syn$time, syn$status, syn$stage, syn$strata, rho = 2), c(12))
add_cuminc("synthetic_treated", cuminc(syn$time, syn$status, syn$treated), c(6, 30))

curves <- do.call(rbind, curves)
save_csv(curves, "cuminc_curves.csv")
save_csv(do.call(rbind, tps), "cuminc_timepoints.csv")
save_csv(do.call(rbind, tests), "cuminc_tests.csv")

# log(-log) pointwise CI of the CIF computed from cuminc's own variance:
#   lower = est^exp(-z * se / (est * log(est))), upper = est^exp(+z * se / (est * log(est)))
z <- qnorm(0.975)
ok <- curves$est > 0 & curves$est < 1
ci <- curves[ok, c("analysis", "curve", "time", "est", "var")]
ci$upper <- ci$est^exp(z * sqrt(ci$var) / (ci$est * log(ci$est)))
ci$lower <- ci$est^exp(-z * sqrt(ci$var) / (ci$est * log(ci$est)))
save_csv(ci, "cuminc_ci_loglog.csv")

# ---------------------------------------------------------------------------------------------
# crr (Fine-Gray)
# ---------------------------------------------------------------------------------------------
crr_rows <- list(); crr_vars <- list(); crr_info <- list(); crr_pred <- list()
add_crr <- function(id, fit, X) {
  # predict.crr for the first two rows of the covariate matrix: CIF at each failure time
  pr <- predict(fit, cov1 = X[1:2, , drop = FALSE])
  crr_pred[[length(crr_pred) + 1]] <<- data.frame(
    model = id, row = rep(0:1, each = nrow(pr)), time = rep(pr[, 1], 2), cif = as.vector(pr[, -1]))
  s <- summary(fit)
  co <- s$coef; ci <- s$conf.int
  crr_rows[[length(crr_rows) + 1]] <<- data.frame(
    model = id, term = rownames(co), coef = co[, "coef"], exp_coef = co[, "exp(coef)"],
    se = co[, "se(coef)"], z = co[, "z"],
    p = 2 * (1 - pnorm(abs(fit$coef) / sqrt(diag(fit$var)))),
    lower = ci[, 3], upper = ci[, 4])
  v <- fit$var
  crr_vars[[length(crr_vars) + 1]] <<- data.frame(
    model = id, row = rep(seq_len(nrow(v)), ncol(v)), col = rep(seq_len(ncol(v)), each = nrow(v)),
    var = as.vector(v), inf = as.vector(fit$inf))
  crr_info[[length(crr_info) + 1]] <<- data.frame(
    model = id, loglik = fit$loglik, loglik_null = fit$loglik.null, logtest = s$logtest[1],
    n = fit$n, n_missing = fit$n.missing, converged = fit$converged)
}

# cmprsk's example
add_crr("example_x123", crr(ss, cc, cov), cov)
add_crr("example_x123_fail2", crr(ss, cc, cov, failcode = 2), cov)
# mgus2 with a factor and missing covariate values (na.omit)
X <- model.matrix(~ age + sex + hgb + creat, data = mg)[, -1]
mg_cc <- mg[rownames(X), ]
add_crr("mgus2_age_sex_hgb_creat", crr(mg_cc$etime, mg_cc$event, X), X)
add_crr("mgus2_age_sex_hgb_creat_death", crr(mg_cc$etime, mg_cc$event, X, failcode = 2), X)
# synthetic with a 3-level factor, tied times, censoring groups
Xs <- model.matrix(~ age + stage + cea_high + treated, data = syn)[, -1]
add_crr("synthetic_full", crr(syn$time, syn$status, Xs), Xs)
add_crr("synthetic_full_cengroup", crr(syn$time, syn$status, Xs, cengroup = syn$cengroup),
        Xs)
# cencode analog: censored coded 9, causes 1 and 2
st9 <- ifelse(syn$status == 0, 9, syn$status)
add_crr("synthetic_cencode9", crr(syn$time, st9, Xs, failcode = 2, cencode = 9), Xs)

save_csv(do.call(rbind, crr_rows), "crr_coef.csv")
save_csv(do.call(rbind, crr_vars), "crr_var.csv")
save_csv(do.call(rbind, crr_info), "crr_info.csv")
save_csv(do.call(rbind, crr_pred), "crr_predict.csv")

# ---------------------------------------------------------------------------------------------
# Propensity scores (glm logit), IPTW weights and the weighted robust Cox model
# ---------------------------------------------------------------------------------------------
# converged tightly so that the reference is the MLE itself, not the iterate at glm's default
# stopping rule (deviance change < 1e-8), which differs from it in the 7th digit of the SEs
ps_fit <- glm(treated ~ age + stage + cea_high, family = binomial, data = syn,
              control = glm.control(epsilon = 1e-14, maxit = 100))
e <- fitted(ps_fit)
tr <- syn$treated
p_t <- mean(tr)
w <- data.frame(
  ps = e,
  ate = ifelse(tr == 1, 1 / e, 1 / (1 - e)),
  att = ifelse(tr == 1, 1, e / (1 - e)),
  atc = ifelse(tr == 1, (1 - e) / e, 1),
  overlap = ifelse(tr == 1, 1 - e, e),
  ate_stabilized = ifelse(tr == 1, p_t / e, (1 - p_t) / (1 - e)))
save_csv(w, "ps_weights.csv")
pcoef <- summary(ps_fit)$coefficients
save_csv(data.frame(term = rownames(pcoef), coef = pcoef[, 1], se = pcoef[, 2],
                    z = pcoef[, 3], p = pcoef[, 4]), "ps_model.csv")
syn$event1 <- as.integer(syn$status == 1)
syn$w_ate <- w$ate
cx <- coxph(Surv(time, event1) ~ treated, data = syn, weights = w_ate, robust = TRUE)
save_csv(data.frame(term = names(coef(cx)), coef = coef(cx), robust_se = sqrt(diag(cx$var)),
                    naive_se = sqrt(diag(cx$naive.var))), "iptw_coxph.csv")

writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("cmprsk", as.character(packageVersion("cmprsk")))),
           file.path(out_dir, "versions.txt"))
cat("done\n")
