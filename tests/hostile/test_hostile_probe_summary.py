"""The probe re-run script (``python -m tests.hostile.probe_summary``) counts each case in the
right column."""

from __future__ import annotations

from crlm_outcomes.errors import FormulaError
from tests.hostile.probe_summary import Case, classify, probe_class, table


def test_each_ending_lands_in_its_column():
    assert classify("test_title_is_escaped", None) == "clean"
    assert classify("test_title_is_escaped", TypeError("x")) == "raw"
    assert classify("test_ragged_rows_are_quarantined", AssertionError()) == "lost"
    assert classify("test_rebuild_keeps_files", AssertionError()) == "lost"
    assert classify("test_title_is_escaped", AssertionError()) == "wrong"
    # a package error where the test wanted something else is a wrong output, not raw
    assert classify("test_title_is_escaped", FormulaError("bad")) == "wrong"


def test_classes_follow_the_issue():
    assert (
        probe_class("test_hostile_output_folder", "test_two_builds_in_parallel")
        == "concurrent builds"
    )
    assert (
        probe_class("test_hostile_output_folder", "test_interrupted_build") == "interrupted builds"
    )
    assert (
        probe_class("test_hostile_output_folder", "test_out_that_is_a_file")
        == "files the user owns: output folder"
    )


def test_table_counts_per_class_and_total():
    cases = [Case("a", "1", "clean"), Case("a", "2", "raw"), Case("b", "3", "lost")]
    lines = table(cases).splitlines()
    assert lines[2].split()[1:] == ["2", "1", "1", "0", "0"]
    assert lines[3].split()[1:] == ["1", "0", "0", "1", "0"]
    assert lines[-1].split() == ["total", "3", "1", "1", "1", "0"]
