# Reference values for crlm_outcomes.survival.conditional (conditional survival).
#
# Run from the repository root:  Rscript tests/reference/conditional.R
# R 4.2.2, survival 3.5-3. Data: survival::lung (time in days, status 1/2 -> 0/1), by sex.
# For each sex, given time s and horizon t: the ratio of the Kaplan-Meier values
# S(s + t) / S(s) from summary(survfit), the Greenwood variance of log CS summed over the event
# times in (s, s + t] from survfit's n.risk / n.event, and the log-log limits of survfit's
# formula. survfit(start.time = s) gives the same curve when no event is at s exactly; it is
# recorded as an independent check (start_estimate, start_lower, start_upper).
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") == "3.5.3")
out_dir <- file.path("tests", "reference", "conditional")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
source(file.path("tests", "reference", "_common.R"))

d <- survival::lung[, c("time", "status", "sex")]
d$status <- d$status - 1
d$sex <- ifelse(d$sex == 1, "male", "female")
save_csv(d, "data_lung.csv")

rows <- list()
z <- qnorm(0.975)
for (g in c("female", "male")) {
  dg <- d[d$sex == g, ]
  f <- survfit(Surv(time, status) ~ 1, data = dg)
  for (s in c(0, 100.5, 183, 365.5)) {
    for (tt in c(90, 180, 365)) {
      if (s + tt > max(dg$time)) next
      ss <- if (s < min(f$time)) 1 else summary(f, times = s)$surv
      se_ <- summary(f, times = s + tt)$surv
      cs <- se_ / ss
      inwin <- f$time > s & f$time <= s + tt & f$n.event > 0
      v <- sum(f$n.event[inwin] / (f$n.risk[inwin] * (f$n.risk[inwin] - f$n.event[inwin])))
      se_log <- sqrt(v)
      lower <- exp(-exp(log(-log(cs)) - z * se_log / log(cs)))
      upper <- exp(-exp(log(-log(cs)) + z * se_log / log(cs)))
      st <- c(NA, NA, NA)
      if (!any(dg$time == s & dg$status == 1)) {
        fs <- survfit(Surv(time, status) ~ 1, data = dg, start.time = s, conf.type = "log-log")
        sm <- summary(fs, times = s + tt)
        st <- c(sm$surv, sm$lower, sm$upper)
      }
      rows[[length(rows) + 1]] <- data.frame(group = g, given = s, horizon = tt,
                                             survival_given = ss, estimate = cs,
                                             std_err = cs * se_log, lower = lower,
                                             upper = upper, start_estimate = st[1],
                                             start_lower = st[2], start_upper = st[3])
    }
  }
}
save_csv(do.call(rbind, rows), "conditional.csv")
writeLines(c(R.version.string, paste("survival", packageVersion("survival"))),
           file.path(out_dir, "versions.txt"))
