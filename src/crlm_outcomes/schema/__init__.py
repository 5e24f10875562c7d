"""crlm_outcomes.schema"""
