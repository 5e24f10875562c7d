"""RAS, BRAF, MMR, HER2 classes and the combined molecular group (seed 004 section 1.5)."""

from __future__ import annotations

import pandas as pd
import pytest

from crlm_outcomes.errors import InputError
from crlm_outcomes.stratify import (
    braf_class,
    her2_class,
    mmr_class,
    molecular_group,
    ras_class,
    reasons,
)

NA = None
FULL = "2;3;4"

# kras, nras, kras exons tested, nras exons tested, expected
RAS_CASES = [
    ("mutant", NA, NA, NA, "mutant"),  # one mutation suffices
    ("wild_type", "mutant", FULL, "2", "mutant"),
    ("wild_type", "wild_type", FULL, FULL, "wild_type"),
    ("wild_type", "wild_type", "4;2;3", "2;3;4", "wild_type"),  # order does not matter
    ("wild_type", "wild_type", "2", FULL, "incomplete_testing"),  # KRAS exon 2 only
    ("wild_type", "wild_type", NA, NA, "incomplete_testing"),  # exons not recorded
    ("wild_type", NA, FULL, NA, "incomplete_testing"),  # NRAS untested
    (NA, "wild_type", NA, FULL, "incomplete_testing"),
    (NA, NA, NA, NA, None),  # nothing known: missing, not a level
]


def _ras_frame(make, cases):
    return make(
        {
            "kras_status": [c[0] for c in cases],
            "nras_status": [c[1] for c in cases],
            "kras_exons_tested": [c[2] for c in cases],
            "nras_exons_tested": [c[3] for c in cases],
        }
    )


def test_ras_class(make):
    result = ras_class(_ras_frame(make, RAS_CASES))
    for i, case in enumerate(RAS_CASES):
        expected = case[-1]
        if expected is None:
            assert pd.isna(result.iloc[i])
            assert "KRAS and NRAS not tested or unknown" in reasons(result).iloc[i]
        else:
            assert result.iloc[i] == expected, (i, case)
    assert list(result.cat.categories) == ["wild_type", "mutant", "incomplete_testing"]


def test_ras_options(make):
    frame = _ras_frame(make, RAS_CASES)
    assumed = ras_class(frame, assume_complete_panel=True)
    assert assumed.iloc[5] == "wild_type"  # unrecorded exons assumed complete
    assert assumed.iloc[4] == "incomplete_testing"  # a recorded incomplete list stays
    assert "assumed complete" in assumed.attrs["rule"]
    exon2 = ras_class(frame, required_exons=(2,))
    assert exon2.iloc[4] == "wild_type"


def test_ras_rejects_bad_exon_list(make):
    frame = _ras_frame(make, RAS_CASES[:1])
    frame["kras_exons_tested"] = pd.array(["2,3"], dtype="string")
    with pytest.raises(InputError, match="kras_exons_tested"):
        ras_class(frame)


def test_braf_never_pooled(make):
    frame = make({"braf_status": ["V600E", "non_V600E", "wild_type", None]})
    result = braf_class(frame)
    assert result.tolist()[:3] == ["V600E", "non_V600E", "wild_type"]
    assert pd.isna(result.iloc[3])
    assert reasons(result).iloc[3] == "BRAF: not tested or unknown for this patient"
    assert list(result.cat.categories) == ["wild_type", "non_V600E", "V600E"]


def test_mmr_and_her2(make):
    frame = make(
        {
            "mmr_status": ["dMMR_MSI_H", "pMMR_MSS", None],
            "her2_status": ["positive", None, "negative"],
        }
    )
    mmr = mmr_class(frame)
    assert mmr.iloc[0] == "dMMR_MSI_H" and mmr.iloc[1] == "pMMR_MSS" and pd.isna(mmr.iloc[2])
    her2 = her2_class(frame)
    assert her2.iloc[0] == "positive" and pd.isna(her2.iloc[1])
    assert "HER2: not tested or unknown" in reasons(her2).iloc[1]


def test_invalid_code_names_row_and_value(make):
    frame = pd.DataFrame({"source_row": [7, 8], "braf_status": ["V600E", "V600K"]})
    with pytest.raises(InputError) as info:
        braf_class(frame)
    message = str(info.value)
    assert "row 8" in message and "'V600K'" in message and "braf_status" in message


# mmr, braf, kras, nras, kras exons, nras exons, expected, reason fragment
GROUP_CASES = [
    ("dMMR_MSI_H", NA, NA, NA, NA, NA, "dMMR_MSI_H", None),  # precedence: nothing else needed
    ("pMMR_MSS", "V600E", NA, NA, NA, NA, "BRAF_V600E", None),
    ("pMMR_MSS", "wild_type", "mutant", NA, NA, NA, "RAS_mutant", None),
    ("pMMR_MSS", "non_V600E", "mutant", NA, NA, NA, "RAS_mutant", None),
    ("pMMR_MSS", "non_V600E", "wild_type", "wild_type", FULL, FULL, "BRAF_non_V600E", None),
    ("pMMR_MSS", "non_V600E", "wild_type", NA, NA, NA, "BRAF_non_V600E", None),
    ("pMMR_MSS", "wild_type", "wild_type", "wild_type", FULL, FULL, "RAS_BRAF_wild_type", None),
    (
        "pMMR_MSS",
        "wild_type",
        "wild_type",
        "wild_type",
        "2",
        FULL,
        None,
        "RAS wild-type not shown on the full",
    ),
    (NA, "wild_type", "mutant", NA, NA, NA, None, "MMR/MSI unknown for this patient"),
    ("pMMR_MSS", NA, "mutant", NA, NA, NA, None, "BRAF unknown for this patient"),
    ("pMMR_MSS", "wild_type", NA, NA, NA, NA, None, "RAS: KRAS and NRAS not tested"),
]


def _group_frame(make, cases):
    return make(
        {
            "mmr_status": [c[0] for c in cases],
            "braf_status": [c[1] for c in cases],
            "kras_status": [c[2] for c in cases],
            "nras_status": [c[3] for c in cases],
            "kras_exons_tested": [c[4] for c in cases],
            "nras_exons_tested": [c[5] for c in cases],
        }
    )


def test_molecular_group(make):
    result = molecular_group(_group_frame(make, GROUP_CASES))
    why = reasons(result)
    for i, case in enumerate(GROUP_CASES):
        expected, fragment = case[-2], case[-1]
        if expected is None:
            assert pd.isna(result.iloc[i]), (i, case)
            assert fragment in why.iloc[i], (i, why.iloc[i])
        else:
            assert result.iloc[i] == expected, (i, case)


def test_molecular_group_without_mmr(make):
    result = molecular_group(_group_frame(make, GROUP_CASES), use_mmr=False)
    assert result.iloc[8] == "RAS_mutant"  # MMR ignored
    assert pd.isna(result.iloc[0])  # no BRAF/RAS data
    assert "dMMR_MSI_H" not in result.cat.categories
