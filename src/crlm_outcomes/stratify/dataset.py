"""``apply_all`` on a partitioned Parquet cohort, one partition at a time (bounded memory)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from crlm_outcomes.errors import SpecError
from crlm_outcomes.stratify.apply import apply_all

__all__ = ["apply_all_dataset"]


def apply_all_dataset(path: str | Path, out: str | Path, **options: Any) -> Path:
    """Run :func:`~crlm_outcomes.stratify.apply_all` on every partition of a Parquet cohort.

    Every stratifier reads one patient's row only, so mapping over the partitions (the batches
    of ``load_cohort(..., out=...)``) gives the rows of ``apply_all`` on the whole cohort.
    Memory is that of one partition.

    Parameters
    ----------
    path
        Directory of ``*.parquet`` partitions (canonical columns).
    out
        New directory for the stratified partitions (same file names). ``<out>_stratify.json``
        beside it records, in plain words, what was derived (``attrs["stratify"]``) and what could not be
        (``attrs["not_derived"]``).
    **options
        As :func:`~crlm_outcomes.stratify.apply_all`.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> import tempfile, pathlib, warnings
    >>> import crlm_outcomes as co
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "cohort").mkdir()
    >>> co.load_demo().data.to_parquet(folder / "cohort" / "part-00000.parquet")
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out = apply_all_dataset(folder / "cohort", folder / "stratified")
    >>> sorted(p.name for p in out.glob("*.parquet"))
    ['part-00000.parquet']
    """
    src, dst = Path(path), Path(out)
    parts = sorted(src.glob("*.parquet"))
    if not parts:
        raise SpecError(
            "no Parquet partitions in the directory",
            value=str(src),
            expected="the path of load_cohort(..., out=...)",
        )
    note_path = dst.parent / f"{dst.name}_stratify.json"
    if (dst.exists() and any(dst.iterdir())) or note_path.exists():
        raise SpecError(
            "the output already exists (nothing is overwritten)",
            value=str(dst),
            expected="a new directory",
        )
    dst.mkdir(parents=True, exist_ok=True)
    attrs: dict[str, Any] = {}
    for part in parts:
        result = apply_all(pd.read_parquet(part), **options)
        attrs = attrs or dict(result.attrs)
        result.attrs = {}
        result.to_parquet(dst / part.name, index=False)
    note = {
        "description": (
            "Columns added by crlm_outcomes.stratify.apply_all to each "
            f"partition of {src}: 'stratify' gives the rule and source of "
            "each, 'not_derived' what could not be derived and why."
        ),
        **{k: v for k, v in attrs.items() if k in ("stratify", "not_derived")},
    }
    note_path.write_text(json.dumps(note, indent=1, default=str) + "\n", encoding="utf-8")
    return dst
