"""crlm_outcomes.stratify"""
