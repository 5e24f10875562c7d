# Reference p-values for crlm_outcomes.report.fisher.fisher_exact_2xk
# (run: Rscript fisher.R in this folder). Each line of fisher_tables.txt is one 2 x k table:
# the two rows separated by "|", counts separated by spaces.
lines <- readLines("fisher_tables.txt")
p <- sapply(lines, function(line) {
  rows <- strsplit(strsplit(line, "|", fixed = TRUE)[[1]], " ", fixed = TRUE)
  m <- do.call(rbind, lapply(rows, as.numeric))
  fisher.test(m, workspace = 2e8)$p.value
})
write.csv(data.frame(table = seq_along(p) - 1, p = sprintf("%.17g", p)),
          "fisher_expected.csv", row.names = FALSE)
