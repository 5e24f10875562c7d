"""crlm_outcomes.datasets"""
