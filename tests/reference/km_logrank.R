# Reference values for crlm_outcomes.survival.{kaplan_meier, logrank, rmst}.
#
# Run from the repository root:   Rscript tests/reference/km_logrank.R
# Needs R >= 4.2 with survival 3.5-3 (no other package). Writes the data sets it uses and every
# reference number as CSV into tests/reference/km_logrank/. pytest reads those files only.
#
# Data: survival's shipped lung, aml, veteran, ovarian and colon (deaths), plus synthetic
# frames generated below with a fixed seed (ties, integer and fractional weights, left
# truncation, clusters, (start, stop] rows) and a hand-made frame of edge cases.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") == "3.5.3")
out <- file.path("tests", "reference", "km_logrank")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
wcsv <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE, na = "NA")
options(digits = 17)

# ---------------------------------------------------------------------------------- data
lung2 <- within(survival::lung, status01 <- as.integer(status == 2))
aml2 <- survival::aml
veteran2 <- survival::veteran
ovarian2 <- survival::ovarian
colon2 <- subset(survival::colon, etype == 2)

set.seed(20261121)
n <- 400
g <- sample(c("A", "B", "C"), n, TRUE, prob = c(.4, .35, .25))
rate <- c(A = 0.03, B = 0.05, C = 0.08)[g]
t_event <- rexp(n, rate)
t_cens <- runif(n, 5, 60)
time <- ceiling(pmin(t_event, t_cens))          # whole months: many ties, events and censorings
status <- as.integer(t_event <= t_cens)
synth <- data.frame(
  id = seq_len(n), g = g, s = sample(c("s1", "s2"), n, TRUE), time = time, status = status,
  entry = floor(runif(n, 0, 0.6) * time),          # left truncation, entry < time
  w_int = sample(1:3, n, TRUE),
  w_frac = round(runif(n, 0.3, 3), 3),
  cl = sample(1:50, n, TRUE),
  score = round(rnorm(n), 2)
)
# counting-process version: every subject with time >= 4 split at floor(time / 2)
split_at <- ifelse(synth$time >= 4, floor(synth$time / 2), NA)
first <- subset(transform(synth, start = 0, stop = ifelse(is.na(split_at), time, split_at),
                          event = ifelse(is.na(split_at), status, 0L)))
second <- subset(transform(synth, start = split_at, stop = time, event = status),
                 !is.na(split_at))
synth_cp <- rbind(first, second)
synth_cp <- synth_cp[order(synth_cp$id, synth_cp$start), ]

edge <- data.frame(
  grp = c(rep("allcens", 5), rep("zero", 5), rep("tie", 6), rep("flat", 4), rep("flatend", 4),
          "single"),
  time = c(1, 2, 3, 4, 5,  0, 0, 1, 3, 4,  2, 2, 2, 5, 5, 7,  1, 2, 3, 5,  1, 2, 3, 4,  3),
  status = c(0, 0, 0, 0, 0,  1, 0, 1, 0, 1,  1, 0, 1, 0, 1, 1,  1, 1, 0, 1,  1, 1, 0, 0,  1)
)

datasets <- list(lung = lung2, aml = aml2, veteran = veteran2, ovarian = ovarian2,
                 colon = colon2, synth = synth, synth_cp = synth_cp, edge = edge)
for (nm in names(datasets)) wcsv(datasets[[nm]], paste0(nm, ".csv"))

# ---------------------------------------------------------------------------------- KM
km_cases <- read.csv(text = "
case,data,duration,event,by,conf_type,weights,entry,robust,cluster,times,tau
lung_all,lung,time,status01,,log,,,,,0;100;200;365;500;730;1000,730
lung_sex_plain,lung,time,status01,sex,plain,,,,,0;90;180;365;730;1000,500
lung_sex_log,lung,time,status01,sex,log,,,,,0;90;180;365;730;1000,500
lung_sex_loglog,lung,time,status01,sex,log-log,,,,,0;90;180;365;730;1000,500
lung_sex_logit,lung,time,status01,sex,logit,,,,,0;90;180;365;730;1000,500
lung_sex_arcsin,lung,time,status01,sex,arcsin,,,,,0;90;180;365;730;1000,500
lung_sex_none,lung,time,status01,sex,none,,,,,0;90;180;365;730;1000,500
lung_ecog,lung,time,status01,ph.ecog,log-log,,,,,0;100;200;300;400,400
aml_x,aml,time,status,x,log,,,,,0;10;20;30;40;50,40
veteran_celltype,veteran,time,status,celltype,logit,,,,,0;30;60;90;180;365,200
ovarian_rx,ovarian,futime,fustat,rx,plain,,,,,0;200;400;600;800,700
colon_rx,colon,time,status,rx,log,,,,,0;365;730;1095;1826;2500,2000
synth_g,synth,time,status,g,log,,,,,0;6;12;24;36;48,36
synth_g_arcsin,synth,time,status,g,arcsin,,,,,0;6;12;24;36;48,36
synth_wint,synth,time,status,g,log,w_int,,,,0;6;12;24;36;48,36
synth_wfrac,synth,time,status,g,log,w_frac,,,,0;6;12;24;36;48,36
synth_wfrac_loglog,synth,time,status,g,log-log,w_frac,,,,0;6;12;24;36;48,36
synth_wfrac_greenwood,synth,time,status,g,log,w_frac,,FALSE,,0;6;12;24;36;48,36
synth_robust,synth,time,status,g,plain,,,TRUE,,0;6;12;24;36;48,36
synth_cluster,synth,time,status,g,log,,,,cl,0;6;12;24;36;48,36
synth_cluster_wfrac,synth,time,status,,logit,w_frac,,,cl,0;6;12;24;36;48,36
synth_entry,synth,time,status,g,log,,entry,,,0;6;12;24;36;48,36
synth_entry_all,synth,time,status,,log-log,,entry,,,0;6;12;24;36;48,36
synth_entry_wfrac,synth,time,status,g,log,w_frac,entry,,,0;6;12;24;36;48,36
synth_cp_id,synth_cp,stop,event,g,log,,start,,id,0;6;12;24;36;48,36
synth_cp_id_wfrac,synth_cp,stop,event,g,plain,w_frac,start,,id,0;6;12;24;36;48,36
synth_cp_plain_count,synth_cp,stop,event,g,log,,start,,,0;6;12;24;36;48,36
edge_log,edge,time,status,grp,log,,,,,0;1;2;3;4;5;6,4
edge_plain,edge,time,status,grp,plain,,,,,0;1;2;3;4;5;6,4
edge_loglog,edge,time,status,grp,log-log,,,,,0;1;2;3;4;5;6,4
edge_logit,edge,time,status,grp,logit,,,,,0;1;2;3;4;5;6,4
edge_arcsin,edge,time,status,grp,arcsin,,,,,0;1;2;3;4;5;6,4
edge_wfrac,edge,time,status,grp,log,,,TRUE,,0;1;2;3;4;5;6,4
", colClasses = "character", na.strings = "")
wcsv(km_cases, "km_cases.csv")

lab <- function(fit, len) {
  if (is.null(fit$strata)) rep("all", len)
  else rep(sub("^[^=]*=", "", names(fit$strata)), fit$strata)
}
strata_names <- function(fit) {
  if (is.null(fit$strata)) "all" else sub("^[^=]*=", "", names(fit$strata))
}
km_call <- function(cs, extra = "") {
  lhs <- if (is.na(cs$entry)) sprintf("Surv(%s, %s)", cs$duration, cs$event)
         else sprintf("Surv(%s, %s, %s)", cs$entry, cs$duration, cs$event)
  rhs <- if (is.na(cs$by)) "1" else cs$by
  args <- sprintf("conf.type = '%s'", cs$conf_type)
  if (!is.na(cs$weights)) args <- paste0(args, ", weights = ", cs$weights)
  if (!is.na(cs$robust)) args <- paste0(args, ", robust = ", cs$robust)
  if (!is.na(cs$cluster)) args <- paste0(args, ", cluster = ", cs$cluster)
  sprintf("survfit(%s ~ %s, data = df, %s%s)", lhs, rhs, args, extra)
}
as_rows <- function(m) if (is.matrix(m)) m else matrix(m, nrow = 1, dimnames = list(NULL, names(m)))

curves <- medians <- quants <- ats <- rmeans <- list()
for (i in seq_len(nrow(km_cases))) {
  cs <- km_cases[i, ]
  df <- datasets[[cs$data]]
  fit <- eval(parse(text = km_call(cs)))
  se <- if (fit$logse) fit$std.err * fit$surv else fit$std.err
  none <- is.null(fit$lower)
  nt <- length(fit$time)
  curves[[i]] <- data.frame(case = cs$case, group = lab(fit, nt), time = fit$time,
                            n_risk = fit$n.risk, n_event = fit$n.event,
                            n_censor = fit$n.censor, survival = fit$surv, std_err = se,
                            lower = if (none) NA else fit$lower,
                            upper = if (none) NA else fit$upper)
  # print.survfit's median (survmean)
  m <- as_rows(survival:::survmean(fit, scale = 1, rmean = "none")$matrix)
  medians[[i]] <- data.frame(case = cs$case, group = strata_names(fit), median = m[, "median"],
                             lower = if (none) NA else m[, paste0(fit$conf.int, "LCL")],
                             upper = if (none) NA else m[, paste0(fit$conf.int, "UCL")])
  probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)
  q <- quantile(fit, probs = probs)
  qq <- if (none) as_rows(q) else as_rows(q$quantile)
  ql <- if (none) NA * qq else as_rows(q$lower)
  qu <- if (none) NA * qq else as_rows(q$upper)
  quants[[i]] <- data.frame(case = cs$case, group = rep(strata_names(fit), length(probs)),
                            p = rep(probs, each = nrow(qq)), quantile = c(qq),
                            lower = c(ql), upper = c(qu))
  times <- as.numeric(strsplit(cs$times, ";")[[1]])
  for (ext in c(FALSE, TRUE)) {
    s <- tryCatch(summary(fit, times = times, extend = ext), error = function(e) NULL)
    if (is.null(s)) next
    sg <- if (is.null(s$strata)) rep("all", length(s$time)) else sub("^[^=]*=", "", as.character(s$strata))
    ats[[length(ats) + 1]] <- data.frame(
      case = cs$case, extend = ext, group = sg, time = s$time, n_risk = s$n.risk,
      n_event = s$n.event, n_censor = s$n.censor, survival = s$surv, std_err = s$std.err,
      lower = if (none) NA else s$lower, upper = if (none) NA else s$upper)
  }
  tau <- as.numeric(cs$tau)
  r <- as_rows(survival:::survmean(fit, scale = 1, rmean = tau)$matrix)
  rmeans[[i]] <- data.frame(case = cs$case, group = strata_names(fit), tau = tau,
                            rmst = r[, "rmean"], std_err = r[, "se(rmean)"])
}
wcsv(do.call(rbind, curves), "km_curves.csv")
wcsv(do.call(rbind, medians), "km_median.csv")
wcsv(do.call(rbind, quants), "km_quantile.csv")
wcsv(do.call(rbind, ats), "km_at.csv")
wcsv(do.call(rbind, rmeans), "km_rmean.csv")

# ------------------------------------------------------------------ RMST differences
# survRM2 is not installed: the reference is built from survfit's rmean and se(rmean)
# (independent groups: se = sqrt(se1^2 + se2^2)) and, for weighted / clustered fits, from the
# infinitesimal-jackknife influence of S(t) that survfit returns with influence = TRUE:
# the influence of the RMST is sum_j influence(t_j) * (length of [t_j, t_{j+1}) below tau).
rmst_cases <- read.csv(text = "
case,data,duration,event,by,weights,cluster,tau,reference
lung_sex,lung,time,status01,sex,,,730,1
veteran_celltype,veteran,time,status,celltype,,,200,squamous
colon_rx,colon,time,status,rx,,,2000,Obs
synth_g,synth,time,status,g,,,36,A
synth_wfrac,synth,time,status,g,w_frac,,36,A
synth_wint_ij,synth,time,status,g,w_int,,36,B
synth_cluster_wfrac,synth,time,status,g,w_frac,cl,36,A
", colClasses = "character", na.strings = "")
wcsv(rmst_cases, "rmst_cases.csv")
z975 <- qnorm(0.975)
rmst_rows <- diff_rows <- list()
for (i in seq_len(nrow(rmst_cases))) {
  cs <- rmst_cases[i, ]
  df <- datasets[[cs$data]]
  tau <- as.numeric(cs$tau)
  ij <- !is.na(cs$weights) || !is.na(cs$cluster)
  args <- ""
  if (!is.na(cs$weights)) args <- paste0(args, ", weights = ", cs$weights)
  if (!is.na(cs$cluster)) args <- paste0(args, ", cluster = ", cs$cluster)
  if (ij) args <- paste0(args, ", robust = TRUE, influence = TRUE")
  fit <- eval(parse(text = sprintf("survfit(Surv(%s, %s) ~ %s, data = df%s)", cs$duration,
                                   cs$event, cs$by, args)))
  groups <- strata_names(fit)
  r <- as_rows(survival:::survmean(fit, scale = 1, rmean = tau)$matrix)
  est <- setNames(r[, "rmean"], groups)
  infl <- list()
  if (ij) {
    se <- numeric(length(groups))
    for (k in seq_along(groups)) {
      sub <- fit[k]
      tt <- sub$time
      len <- pmax(0, pmin(c(tt[-1], Inf), tau) - tt) * (tt <= tau)
      I <- fit$influence.surv[[k]]
      v <- as.vector(I %*% len)
      names(v) <- rownames(I)
      infl[[groups[k]]] <- v
      se[k] <- sqrt(sum(v^2))
    }
    se <- setNames(se, groups)
  } else {
    se <- setNames(r[, "se(rmean)"], groups)
  }
  rmst_rows[[i]] <- data.frame(case = cs$case, group = groups, tau = tau, rmst = est,
                               std_err = se)
  ref <- cs$reference
  for (gname in setdiff(groups, ref)) {
    d <- est[[gname]] - est[[ref]]
    if (ij) {
      ids <- union(names(infl[[gname]]), names(infl[[ref]]))
      a <- setNames(numeric(length(ids)), ids); b <- a
      a[names(infl[[gname]])] <- infl[[gname]]
      b[names(infl[[ref]])] <- infl[[ref]]
      s <- sqrt(sum((a - b)^2))
    } else {
      s <- sqrt(se[[gname]]^2 + se[[ref]]^2)
    }
    diff_rows[[length(diff_rows) + 1]] <- data.frame(
      case = cs$case, group = gname, reference = ref, tau = tau, difference = d,
      std_err = s, lower = d - z975 * s, upper = d + z975 * s,
      p = 2 * pnorm(-abs(d / s)))
  }
}
wcsv(do.call(rbind, rmst_rows), "rmst_groups.csv")
wcsv(do.call(rbind, diff_rows), "rmst_difference.csv")

# --------------------------------------------------------------------------- log-rank
lr_cases <- read.csv(text = "
case,data,duration,event,by,strata,rho
aml_x,aml,time,status,x,,0
ovarian_rx,ovarian,futime,fustat,rx,,0
lung_sex_rho0,lung,time,status01,sex,,0
lung_sex_rho1,lung,time,status01,sex,,1
lung_sex_rho05,lung,time,status01,sex,,0.5
lung_ecog_strata_sex,lung,time,status01,ph.ecog,sex,0
lung_ecog_strata_sex_rho1,lung,time,status01,ph.ecog,sex,1
veteran_celltype,veteran,time,status,celltype,,0
veteran_celltype_strata_trt,veteran,time,status,celltype,trt,0
veteran_celltype_strata_trt_rho05,veteran,time,status,celltype,trt,0.5
colon_rx,colon,time,status,rx,,0
colon_rx_strata_sex_rho1,colon,time,status,rx,sex,1
synth_g,synth,time,status,g,,0
synth_g_strata_s,synth,time,status,g,s,0
synth_g_strata_s_rho05,synth,time,status,g,s,0.5
edge_grp,edge,time,status,grp,,0
", colClasses = "character", na.strings = "")
wcsv(lr_cases, "logrank_cases.csv")
lr_tab <- lr_stat <- lr_var <- trend <- list()
for (i in seq_len(nrow(lr_cases))) {
  cs <- lr_cases[i, ]
  df <- datasets[[cs$data]]
  rhs <- if (is.na(cs$strata)) cs$by else sprintf("%s + strata(%s)", cs$by, cs$strata)
  sd <- eval(parse(text = sprintf("survdiff(Surv(%s, %s) ~ %s, data = df, rho = %s)",
                                  cs$duration, cs$event, rhs, cs$rho)))
  o <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  e <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  groups <- sub("^[^=]*=", "", names(sd$n))
  dfree <- sum(e > 0) - 1
  lr_tab[[i]] <- data.frame(case = cs$case, group = groups, n = as.vector(sd$n), observed = o,
                            expected = e, oe2_e = (o - e)^2 / e, oe2_v = (o - e)^2 / diag(sd$var))
  lr_stat[[i]] <- data.frame(case = cs$case, statistic = sd$chisq, df = dfree,
                             p = pchisq(sd$chisq, dfree, lower.tail = FALSE))
  lr_var[[i]] <- data.frame(case = cs$case, row = rep(groups, length(groups)),
                            col = rep(groups, each = length(groups)), value = c(sd$var))
  # trend test on the ordered groups, scores 1..k in the level order written here
  sc <- seq_along(groups)
  u <- sum(sc * (o - e))
  v <- as.numeric(t(sc) %*% sd$var %*% sc)
  trend[[i]] <- data.frame(case = cs$case, scores = paste(paste(groups, sc, sep = ":"),
                                                          collapse = ";"),
                           statistic = u^2 / v, p = pchisq(u^2 / v, 1, lower.tail = FALSE))
}
wcsv(do.call(rbind, lr_tab), "logrank_table.csv")
wcsv(do.call(rbind, lr_stat), "logrank_stat.csv")
wcsv(do.call(rbind, lr_var), "logrank_var.csv")
wcsv(do.call(rbind, trend), "logrank_trend.csv")

# ------------------------------------------------------------- pairwise (survminer rule)
# survminer is not installed; this is survminer::pairwise_survdiff's compare.levels
# (subset to the two levels, survdiff, pchisq on length(n) - 1 df) with stats::pairwise.table.
pw_cases <- read.csv(text = "
case,data,duration,event,by,strata,rho
veteran_celltype,veteran,time,status,celltype,,0
veteran_celltype_rho1,veteran,time,status,celltype,,1
colon_rx_strata_sex,colon,time,status,rx,sex,0
synth_g_rho05,synth,time,status,g,,0.5
lung_ecog,lung,time,status01,ph.ecog,,0
", colClasses = "character", na.strings = "")
wcsv(pw_cases, "pairwise_cases.csv")
methods <- c("holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "none")
pw <- list()
for (i in seq_len(nrow(pw_cases))) {
  cs <- pw_cases[i, ]
  df <- datasets[[cs$data]]
  df <- df[!is.na(df[[cs$by]]), ]
  group <- droplevels(as.factor(df[[cs$by]]))
  rhs <- if (is.na(cs$strata)) cs$by else sprintf("%s + strata(%s)", cs$by, cs$strata)
  form <- as.formula(sprintf("Surv(%s, %s) ~ %s", cs$duration, cs$event, rhs))
  stat <- list()
  compare.levels <- function(i, j) {
    keep <- group %in% levels(group)[c(i, j)]
    sdif <- survdiff(form, data = df[keep, , drop = FALSE], rho = as.numeric(cs$rho))
    stat[[paste(i, j)]] <<- sdif$chisq
    pchisq(sdif$chisq, length(sdif$n) - 1, lower.tail = FALSE)
  }
  for (m in methods) {
    tab <- pairwise.table(compare.levels, levels(group), m)
    for (r in rownames(tab)) for (cc in colnames(tab)) {
      if (!is.na(tab[r, cc])) {
        ii <- match(r, levels(group)); jj <- match(cc, levels(group))
        pw[[length(pw) + 1]] <- data.frame(case = cs$case, method = m, group1 = cc,
                                           group2 = r, statistic = stat[[paste(ii, jj)]],
                                           p_adjusted = tab[r, cc])
      }
    }
  }
}
wcsv(do.call(rbind, pw), "pairwise.csv")

pv <- c(0.01, 0.02, 0.03, 0.04, 0.05, 0.2, 0.5, 0.001, 0.04, 0.8)
wcsv(do.call(rbind, lapply(methods, function(m) data.frame(method = m, i = seq_along(pv), p = pv,
                                                             p_adjusted = p.adjust(pv, m)))),
     "p_adjust.csv")

cat("wrote", length(list.files(out)), "files to", out, "\n")
