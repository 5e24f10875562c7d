# Reference values for crlm_outcomes.stratify.agreement (Cohen's kappa, its standard error,
# confidence interval and z test).
#
# Run from the repository root:  Rscript tests/reference/agreement.R
# R 4.2.2, psych 2.2.9 (Debian r-cran-psych; irr is not packaged for this Debian release). The
# versions are also written to agreement/versions.txt. Numbers are written with 17 significant
# digits; the per-patient data are exported next to the outputs (agreement/data_pairs.csv).
#
# kappa, its variance and the 95% limits come from psych::cohen.kappa (which uses the large-sample
# variance of Fleiss, Cohen & Everitt, Psychol Bull 1969;72:323-327). The same variance and the
# variance under kappa = 0 (for the z test) are also computed here in base R from the formulas of
# that paper, as a cross-check of psych.
suppressPackageStartupMessages(library(psych))
stopifnot(packageVersion("psych") == "2.2.9")

out_dir <- file.path("tests", "reference", "agreement")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
source(file.path("tests", "reference", "_common.R"))
writeLines(c(R.version.string, paste("psych", packageVersion("psych"))),
           file.path(out_dir, "versions.txt"))

# Cross-tables: rows = ours, columns = theirs (square, same category order on both sides).
tables <- list(
  # the docstring example of agreement()
  two_by_two = list(levels = c("0", "1"), counts = matrix(c(20, 5,
                                                            10, 15), 2, byrow = TRUE)),
  # Fong groups as categories (strings)
  three_groups = list(levels = c("low", "medium", "high"),
                      counts = matrix(c(40, 6, 1,
                                        5, 30, 4,
                                        0, 7, 12), 3, byrow = TRUE)),
  # a 0-5 score where ours never gives 5 (an empty row) and theirs never gives 0
  score_0_5 = list(levels = as.character(0:5),
                   counts = matrix(c(0, 9, 2, 0, 0, 0,
                                     0, 21, 6, 1, 0, 0,
                                     0, 4, 33, 5, 1, 0,
                                     0, 0, 6, 17, 3, 1,
                                     0, 0, 1, 2, 8, 2,
                                     0, 0, 0, 0, 0, 0), 6, byrow = TRUE)),
  # near-perfect agreement, unbalanced margins
  four_levels = list(levels = c("1", "2", "3", "4"),
                     counts = matrix(c(120, 2, 0, 0,
                                       3, 45, 1, 0,
                                       0, 2, 14, 1,
                                       0, 0, 1, 6), 4, byrow = TRUE))
)

fce <- function(x) {
  n <- sum(x); p <- x / n; r <- rowSums(p); c <- colSums(p)
  po <- sum(diag(p)); pe <- sum(r * c); k <- (po - pe) / (1 - pe)
  q <- nrow(p)
  diag_term <- sum(sapply(seq_len(q), function(i) p[i, i] * (1 - (r[i] + c[i]) * (1 - k))^2))
  off <- 0
  for (i in seq_len(q)) for (j in seq_len(q)) if (i != j) off <- off + p[i, j] * (c[i] + r[j])^2
  var1 <- (diag_term + (1 - k)^2 * off - (k - pe * (1 - k))^2) / (n * (1 - pe)^2)
  var0 <- (pe + pe^2 - sum(r * c * (r + c))) / (n * (1 - pe)^2)
  list(kappa = k, po = po, pe = pe, var = var1, var0 = var0)
}

rows <- list(); pairs <- list()
for (name in names(tables)) {
  t <- tables[[name]]
  x <- t$counts
  ck <- psych::cohen.kappa(x)
  base <- fce(x)
  stopifnot(abs(ck$kappa - base$kappa) < 1e-14, abs(ck$var.kappa - base$var) < 1e-14)
  z <- base$kappa / sqrt(base$var0)
  rows[[name]] <- data.frame(
    table = name, n = sum(x), kappa = ck$kappa, std_error = sqrt(ck$var.kappa),
    lower = ck$confid[1, "lower"], upper = ck$confid[1, "upper"],
    observed_agreement = base$po, expected_agreement = base$pe,
    std_error_null = sqrt(base$var0), statistic = z, p = 2 * pnorm(-abs(z)),
    stringsAsFactors = FALSE)
  # one row per patient, in table order (row-major)
  idx <- which(x > 0, arr.ind = TRUE)
  idx <- idx[order(idx[, 1], idx[, 2]), , drop = FALSE]
  ours <- rep(t$levels[idx[, 1]], x[idx]); theirs <- rep(t$levels[idx[, 2]], x[idx])
  pairs[[name]] <- data.frame(table = name, ours = ours, theirs = theirs,
                              stringsAsFactors = FALSE)
}
save_csv(do.call(rbind, rows), "kappa.csv")
save_csv(do.call(rbind, pairs), "data_pairs.csv")
