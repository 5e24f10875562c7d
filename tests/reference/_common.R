# Helpers shared by the reference scripts: every number is written with 17 significant digits.
# Each script sets out_dir before sourcing this file.
full <- function(df) {
  for (nm in names(df)) {
    if (is.numeric(df[[nm]])) {
      v <- df[[nm]]
      df[[nm]] <- ifelse(is.na(v), NA, sprintf("%.17g", v))
    }
  }
  df
}
save_csv <- function(df, name) {
  write.csv(full(df), file.path(out_dir, name), row.names = FALSE, na = "")
}
