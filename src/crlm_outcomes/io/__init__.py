"""crlm_outcomes.io"""
