"""Jupyter display of results: one helper so every result renders the same way."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

__all__ = ["frames_html"]


def percent_level(conf_level: float | None = None) -> str:
    """A confidence level as the percentage printed in labels (``"95"`` in "95% CI").

    Parameters
    ----------
    conf_level
        The level as a fraction; ``None`` (a model that does not say) reads as 0.95.

    Returns
    -------
    str
        The percentage without trailing zeros.

    Examples
    --------
    >>> percent_level(0.95), percent_level(0.9), percent_level(0.975), percent_level()
    ('95', '90', '97.5', '95')
    """
    return f"{100 * (0.95 if conf_level is None else conf_level):g}"


def frames_html(
    title: str,
    frames: Mapping[str, pd.DataFrame],
    *,
    notes: Mapping[str, object] | None = None,
    max_rows: int = 20,
) -> str:
    """Render a titled block of small tables (truncated to ``max_rows``) for ``_repr_html_``."""
    parts = [f"<div class='crlm-result'><h4>{html.escape(title)}</h4>"]
    if notes:
        items = "".join(
            f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>"
            for k, v in notes.items()
        )
        parts.append(f"<ul>{items}</ul>")
    for name, frame in frames.items():
        if name:
            parts.append(f"<h5>{html.escape(name)}</h5>")
        shown = frame.head(max_rows)
        parts.append(shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="—"))
        if len(frame) > max_rows:
            parts.append(f"<p>… {len(frame) - max_rows} more rows</p>")
    parts.append("</div>")
    return "".join(parts)
