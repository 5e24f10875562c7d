# Reference matched sets for crlm_outcomes.survival.matching (greedy nearest-neighbour matching
# on the logit of the propensity score).
#
# Run from the repository root:  Rscript tests/reference/matching.R
# R 4.2.2, MatchIt 4.5.1, survival 3.5-3. MatchIt 4.5.1 (Debian) mishandles the caliper when
# `distance` is a numeric vector (see /work/shared/reference-notes.md), so every case passes a
# distance *matrix* |logit(e_t) - logit(e_c)| (treated rows, control columns) and an absolute
# caliper (caliper * sd(logit e), std.caliper = FALSE). With a matrix MatchIt only offers
# m.order = "data"; the "largest" / "smallest" orders are obtained by sorting the rows first
# (stable order of R's `order`), which is exactly what m.order does with a distance vector.
# Data: MatchIt::lalonde with a seeded synthetic survival outcome; the propensity score of
# glm(treat ~ age + educ + race + married + nodegree + re74 + re75, binomial) is written with the
# data so that Python matches on the same score.
suppressPackageStartupMessages({
  library(MatchIt)
  library(survival)
})
stopifnot(packageVersion("MatchIt") == "4.5.1", packageVersion("survival") == "3.5.3")

out_dir <- file.path("tests", "reference", "matching")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
source(file.path("tests", "reference", "_common.R"))

d <- MatchIt::lalonde
d$id <- seq_len(nrow(d))
d$race <- as.character(d$race)
ps_fit <- glm(treat ~ age + educ + race + married + nodegree + re74 + re75, data = d,
              family = binomial)
d$ps <- fitted(ps_fit)
d$logit <- qlogis(d$ps)
set.seed(77)
rate <- exp(-3 + 0.02 * d$age - 0.4 * d$treat + 0.3 * d$nodegree)
ev_t <- rexp(nrow(d), rate)
cen <- runif(nrow(d), 5, 60)
d$time <- pmin(ev_t, cen)
d$status <- as.integer(ev_t <= cen)
save_csv(d[, c("id", "treat", "age", "educ", "race", "married", "nodegree", "re74", "re75", "ps",
               "time", "status")], "data_lalonde.csv")
sd_logit <- sd(d$logit)

run <- function(case, order, ratio = 1, replace = FALSE, caliper = NULL, exact = NULL) {
  o <- switch(order,
              data = seq_len(nrow(d)),
              largest = order(-d$logit * d$treat - (1 - d$treat) * 1e9),
              smallest = order(d$logit * d$treat - (1 - d$treat) * 1e9))
  # treated rows first in the wanted order, then the controls in data order
  o <- c(o[d$treat[o] == 1], which(d$treat == 0))
  dd <- d[o, ]
  rownames(dd) <- as.character(dd$id)
  dm <- abs(outer(dd$logit[dd$treat == 1], dd$logit[dd$treat == 0], "-"))
  args <- list(treat ~ age, data = dd, method = "nearest", distance = dm, ratio = ratio,
               replace = replace, m.order = "data")
  if (!is.null(caliper)) {
    args$caliper <- caliper * sd_logit
    args$std.caliper <- FALSE
  }
  if (!is.null(exact)) args$exact <- exact
  m <- do.call(matchit, args)
  mm <- m$match.matrix
  pairs <- data.frame(case = case, treated = rep(rownames(mm), ncol(mm)),
                      slot = rep(seq_len(ncol(mm)), each = nrow(mm)), control = as.vector(mm))
  pairs <- pairs[!is.na(pairs$control), ]
  w <- data.frame(case = case, id = names(m$weights), weight = m$weights)
  list(pairs = pairs, weights = w, m = m, dd = dd)
}

cases <- list(
  run("nn_data", "data"),
  run("nn_largest_cal02", "largest", caliper = 0.2),
  run("nn2_smallest_cal02", "smallest", ratio = 2, caliper = 0.2),
  run("nn3_largest", "largest", ratio = 3),
  run("nn_data_exact_race_cal05", "data", caliper = 0.5, exact = ~race),
  run("nn3_replace_cal01", "data", ratio = 3, replace = TRUE, caliper = 0.1),
  run("nn1_replace", "data", ratio = 1, replace = TRUE)
)
save_csv(do.call(rbind, lapply(cases, `[[`, "pairs")), "pairs.csv")
save_csv(do.call(rbind, lapply(cases, `[[`, "weights")), "weights.csv")

# Matched Cox model with cluster = pair robust variance (1:1 with caliper 0.2, largest first)
mc <- cases[[2]]
md <- match.data(mc$m, data = mc$dd)
fit <- coxph(Surv(time, status) ~ treat, data = md, weights = weights, cluster = subclass)
cox_ref <- data.frame(case = "nn_largest_cal02", coef = coef(fit), robust_se = sqrt(diag(fit$var)),
                      naive_se = sqrt(diag(fit$naive.var)), n = fit$n, nevent = fit$nevent)
save_csv(cox_ref, "cox_matched.csv")
# 2:1 (weights differ when a treated unit gets one control only)
mc <- cases[[3]]
md <- match.data(mc$m, data = mc$dd)
fit <- coxph(Surv(time, status) ~ treat, data = md, weights = weights, cluster = subclass)
save_csv(data.frame(case = "nn2_smallest_cal02", coef = coef(fit),
                    robust_se = sqrt(diag(fit$var)), naive_se = sqrt(diag(fit$naive.var)),
                    n = fit$n, nevent = fit$nevent), "cox_matched2.csv")
writeLines(c(R.version.string, paste("MatchIt", packageVersion("MatchIt")),
             paste("survival", packageVersion("survival"))), file.path(out_dir, "versions.txt"))
