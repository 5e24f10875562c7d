"""crlm_outcomes.survival"""
