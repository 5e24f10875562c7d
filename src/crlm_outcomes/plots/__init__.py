"""crlm_outcomes.plots"""
