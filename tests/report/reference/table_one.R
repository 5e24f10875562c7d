# Reference values for crlm_outcomes.report.table_one (run: Rscript table_one.R in this folder).
# Tests: Welch oneway.test, kruskal.test, chisq.test (Yates for 2x2), fisher.test; SMDs by the
# Yang & Dalton formula written out with matrix algebra (as tableone::ExtractSmd computes them).
d <- read.csv("table_one_data.csv", stringsAsFactors = FALSE, na.strings = c("", "NA"))
smd_cont <- function(x, g) {
  lv <- sort(unique(g)); out <- c()
  for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv)) {
    a <- x[g == lv[i] & !is.na(x)]; b <- x[g == lv[j] & !is.na(x)]
    out <- c(out, abs(mean(a) - mean(b)) / sqrt((var(a) + var(b)) / 2))
  }
  mean(out)
}
smd_cat <- function(x, g, levels) {
  lv <- sort(unique(g)); out <- c()
  for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv)) {
    a <- table(factor(x[g == lv[i]], levels = levels)); b <- table(factor(x[g == lv[j]], levels = levels))
    p1 <- (a / sum(a))[-1]; p2 <- (b / sum(b))[-1]
    s1 <- diag(p1, length(p1)) - outer(p1, p1); s2 <- diag(p2, length(p2)) - outer(p2, p2)
    s <- (s1 + s2) / 2; dd <- p1 - p2
    out <- c(out, sqrt(as.numeric(t(dd) %*% MASS::ginv(s) %*% dd)))
  }
  mean(out)
}
rows <- list()
for (by in c("grp2", "grp3")) {
  g <- d[[by]]
  rows[[length(rows) + 1]] <- data.frame(by = by, variable = "age", test = "welch",
    p = oneway.test(age ~ g, data = data.frame(age = d$age, g = g))$p.value, smd = smd_cont(d$age, g))
  rows[[length(rows) + 1]] <- data.frame(by = by, variable = "cea", test = "kruskal",
    p = kruskal.test(d$cea, factor(g))$p.value, smd = smd_cont(d$cea, g))
  for (v in c("sex", "site")) {
    lev <- sort(unique(na.omit(d[[v]])))
    rows[[length(rows) + 1]] <- data.frame(by = by, variable = v, test = "chisq",
      p = suppressWarnings(chisq.test(table(d[[v]], g))$p.value), smd = smd_cat(d[[v]], g, lev))
  }
  lev <- c("no", "yes")
  rows[[length(rows) + 1]] <- data.frame(by = by, variable = "flag", test = "fisher",
    p = fisher.test(table(d$flag, g))$p.value, smd = smd_cat(d$flag, g, lev))
  lev <- c("x", "y", "z")
  rows[[length(rows) + 1]] <- data.frame(by = by, variable = "rare", test = "fisher",
    p = fisher.test(table(d$rare, g))$p.value, smd = smd_cat(d$rare, g, lev))
}
out <- do.call(rbind, rows)
write.csv(out, "table_one_expected.csv", row.names = FALSE)
print(out, digits = 10)
