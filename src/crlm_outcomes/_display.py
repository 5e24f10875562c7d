"""Jupyter display of results: one helper so every result renders the same way."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

__all__ = ["frames_html"]


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
