"""crlm_outcomes.report"""
