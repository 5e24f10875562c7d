"""Writes a build's figures and tables and returns the blocks the report template renders.

Figures are described by a recipe (a module-level function and picklable arguments that return
the Axes) so that they can be drawn and saved in worker processes: on two cores this halves the
build time, and the bytes do not depend on where a figure was drawn. Every figure is saved by
:func:`crlm_outcomes.plots.style.savefig_deterministic`; tables are written as CSV, standalone
HTML and LaTeX (:mod:`crlm_outcomes.report.latex`).
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from crlm_outcomes.plots.style import figure_of, publication_style, savefig_deterministic
from crlm_outcomes.report.html import standalone_table_html
from crlm_outcomes.report.latex import latex_table
from crlm_outcomes.report.spec import AnalysisSpec

__all__ = ["OutputWriter", "text_block", "safe_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file name stem from text of a spec or the data (a model name, a stratifier).

    Characters other than ASCII letters, digits, ``.``, ``_`` and ``-`` become ``_`` (no path
    separator, NUL, or leading dot survives); when anything was replaced, 8 hex digits of the
    original's sha256 are appended so that two names never collide.

    Parameters
    ----------
    name
        Any text (converted with ``str``).

    Returns
    -------
    str
        The stem: at most 80 safe characters (``"unnamed"`` when none is left), plus
        ``-`` and 8 hex digits when the text was changed.

    Examples
    --------
    >>> safe_name("cox_main")
    'cox_main'
    >>> safe_name("../../etc/passwd")
    'etc_passwd-3754d6cb'
    """
    text = str(name)
    clean = _UNSAFE.sub("_", text).strip("._") or "unnamed"
    clean = clean[:80]
    if clean != text:
        clean += "-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return clean


def escaped_html(styler: Any) -> str:
    """``styler.to_html()`` with every cell and header text HTML-escaped (pandas does not
    escape by default, and these texts come from the data and the spec).

    Parameters
    ----------
    styler
        A :class:`pandas.io.formats.style.Styler` (``frame.style`` with any caption, uuid,
        table attributes or cell styles already set; a caption is not escaped here, so escape
        it before :meth:`~pandas.io.formats.style.Styler.set_caption`).

    Returns
    -------
    str
        The ``<style>`` block and ``<table>``, with ``<``, ``>``, ``&`` and quotes of every
        body cell and column header written as entities.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"<b>site</b>": ["liver & lung"]})
    >>> page = escaped_html(frame.style.hide(axis="index").set_uuid("sites"))
    >>> "&lt;b&gt;site&lt;/b&gt;" in page, "liver &amp; lung" in page, "<b>" in page
    (True, True, False)
    """
    return styler.format(escape="html").format_index(escape="html", axis=1).to_html()


def text_block(kind: str, text: str, css: str = "") -> dict[str, Any]:
    """A block of text for the template (``kind``: ``"text"`` or ``"heading"``).

    Parameters
    ----------
    kind
        ``"text"`` (a paragraph) or ``"heading"`` (a sub-heading of the section).
    text
        Plain text; the template escapes it.
    css
        Extra CSS class of the element (e.g. ``"note"``); empty for none.

    Returns
    -------
    dict
        The block: ``{"kind": kind, "text": text, "css": css}``.

    Examples
    --------
    >>> text_block("heading", "Overall survival")
    {'kind': 'heading', 'text': 'Overall survival', 'css': ''}
    """
    return {"kind": kind, "text": text, "css": css}


class OutputWriter:
    """Saves figures and tables under ``out`` and returns their template blocks.

    Parameters
    ----------
    out
        The build's output folder (``figures/`` and ``tables/`` are created in it).
    spec
        The analysis spec (its figure and table formats).
    jobs
        Worker processes drawing the figures; 1 = serial.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> spec = parse_spec({"cohort": {"demo": True}, "output": {"table_formats": ["csv", "tex"]}})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     writer = OutputWriter(Path(d), spec, jobs=1)
    ...     block = writer.table(pd.DataFrame({"n": [12]}), "flow counts", "Cohort flow")
    ...     writer.finish()
    ...     print(block["files"])
    ...     print((Path(d) / "tables" / "flow_counts-8d817084.csv").read_text(), end="")
    ['tables/flow_counts-8d817084.csv', 'tables/flow_counts-8d817084.tex']
    n
    12
    """

    def __init__(self, out: Path, spec: AnalysisSpec, jobs: int) -> None:
        self.out = out
        self.fig_formats = list(dict.fromkeys(spec.output.figure_formats))
        self.tab_formats = list(dict.fromkeys(spec.output.table_formats))
        (out / "figures").mkdir(parents=True, exist_ok=True)
        (out / "tables").mkdir(parents=True, exist_ok=True)
        self.pool = _pool(jobs)
        self.pending: list[tuple[dict[str, Any], Any]] = []

    def figure(
        self, name: str, caption: str, recipe: Callable[..., plt.Axes], *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        """Draw ``recipe(*args, **kwargs)`` and save it as ``figures/<name>.<fmt>``; the block's
        inlined PNG is filled in now (serial) or by :meth:`finish` (worker processes).

        Parameters
        ----------
        name
            File name stem (made safe by :func:`safe_name`).
        caption
            The figure's caption in the report (plain text; the template escapes it).
        recipe
            A module-level function returning the matplotlib Axes it drew on (picklable, so
            that a worker process can call it), e.g.
            :func:`crlm_outcomes.plots.flow.plot_flow`. It is called under the publication
            style and its figure is closed after saving.
        *args, **kwargs
            Passed to ``recipe`` (picklable).

        Returns
        -------
        dict
            The template block: ``kind`` (``"figure"``), ``name`` (the safe stem), ``caption``,
            ``files`` (``figures/<name>.<fmt>`` per figure format of the spec) and, once drawn,
            ``png_base64`` (the inlined PNG), ``width`` (CSS pixels on screen) and
            ``print_width_in`` (inches).

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from crlm_outcomes.plots.flow import plot_flow
        >>> from crlm_outcomes.report.spec import parse_spec
        >>> spec = parse_spec({"cohort": {"demo": True}, "output": {"figure_formats": ["png"]}})
        >>> steps = [{"label": "Registry", "n": 120},
        ...          {"label": "Resected", "n": 80, "excluded": 40, "reason": "not resected"}]
        >>> with tempfile.TemporaryDirectory() as d:
        ...     writer = OutputWriter(Path(d), spec, jobs=1)
        ...     block = writer.figure("cohort flow", "Cohort flow", plot_flow, steps)
        ...     writer.finish()
        ...     print(block["files"], (Path(d) / block["files"][0]).is_file())
        ['figures/cohort_flow-49c7f3a1.png'] True
        >>> block["png_base64"][:8]  # base64 of the PNG signature
        'iVBORw0K'
        """
        name = safe_name(name)
        block: dict[str, Any] = {
            "kind": "figure",
            "name": name,
            "caption": caption,
            "files": [f"figures/{name}.{fmt}" for fmt in self.fig_formats],
        }
        job = (recipe, args, kwargs, str(self.out), name, tuple(self.fig_formats))
        if self.pool is None:
            _fill_figure(block, _render_figure(*job))
        else:
            self.pending.append((block, self.pool.submit(_render_figure, *job)))
        return block

    def finish(self) -> None:
        """Wait for the figures drawn in worker processes and shut the pool down.

        Call it once, after the last :meth:`figure`, before rendering the report: with
        ``jobs > 1`` (where ``fork`` exists) the blocks :meth:`figure` returned get their
        inlined PNG only here, and a recipe's error is raised here. The pool is shut down even
        when one is raised; serially there is nothing to wait for.

        Returns
        -------
        None
            The figure blocks are completed in place.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from crlm_outcomes.plots.flow import plot_flow
        >>> from crlm_outcomes.report.spec import parse_spec
        >>> spec = parse_spec({"cohort": {"demo": True}, "output": {"figure_formats": ["png"]}})
        >>> with tempfile.TemporaryDirectory() as d:
        ...     writer = OutputWriter(Path(d), spec, jobs=1)
        ...     block = writer.figure("flow", "Flow", plot_flow, [{"label": "Registry", "n": 120}])
        ...     writer.finish()
        ...     print("png_base64" in block, writer.pending, writer.pool)
        True [] None
        """
        try:
            for block, future in self.pending:
                _fill_figure(block, future.result())
        finally:
            self.pending.clear()
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
                self.pool = None

    def table(
        self,
        frame: pd.DataFrame,
        name: str,
        caption: str,
        *,
        html: str | None = None,
        latex: str | None = None,
        footnote: str = "",
    ) -> dict[str, Any]:
        """Save ``frame`` as ``tables/<name>.<fmt>``; ``html``/``latex`` replace the default
        renderings (a plain Styler table with ``footnote`` under it; :func:`latex_table`).

        Parameters
        ----------
        frame
            The table as published (written as is to CSV, Word and Excel).
        name
            File name stem (made safe by :func:`safe_name`).
        caption
            The table's caption (escaped in the HTML).
        html
            A ready HTML rendering (e.g. :meth:`TableOne.to_html
            <crlm_outcomes.report.table_one.TableOne.to_html>`), used for the report and the
            ``.html`` file; None renders ``frame`` with :func:`escaped_html`, caption and
            ``footnote``.
        latex
            A ready LaTeX rendering for the ``.tex`` file; None uses
            :func:`crlm_outcomes.report.latex.latex_table`.
        footnote
            Text under the default HTML table (escaped) and in the Word table; empty for none.

        Returns
        -------
        dict
            The template block: ``kind`` (``"table"``), ``name`` (the safe stem), ``html``,
            ``files`` (``tables/<name>.<fmt>`` per table format of the spec; ``docx`` is skipped
            when python-docx is not installed), ``frame``, ``caption`` and ``footnote``.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> from crlm_outcomes.report.spec import parse_spec
        >>> spec = parse_spec({"cohort": {"demo": True}, "output": {"table_formats": ["csv", "tex"]}})
        >>> stages = pd.DataFrame({"stage": ["I-II", "III"], "n": [3, 5]})
        >>> with tempfile.TemporaryDirectory() as d:
        ...     writer = OutputWriter(Path(d), spec, jobs=1)
        ...     block = writer.table(stages, "stage", "Stage <TNM>", footnote="AJCC 8th edition")
        ...     writer.finish()
        ...     print(block["files"])
        ...     print((Path(d) / "tables" / "stage.tex").read_text(), end="")
        ['tables/stage.csv', 'tables/stage.tex']
        \\begin{tabular}{ll}
        \\toprule
        stage & n \\\\
        \\midrule
        I-II & 3 \\\\
        III & 5 \\\\
        \\bottomrule
        \\end{tabular}
        >>> "<caption>Stage &lt;TNM&gt;</caption>" in block["html"]
        True
        >>> block["html"].endswith("<p class='footnote'>AJCC 8th edition</p>")
        True
        """
        files = []
        name = safe_name(name)
        if html is None:
            styler = (
                frame.style.hide(axis="index")
                .set_uuid(name.replace("-", "_"))
                .set_table_attributes("class='crlm-table'")
                .set_caption(_html.escape(caption))
            )
            html = escaped_html(styler)
            if footnote:
                html += f"<p class='footnote'>{_html.escape(footnote)}</p>"
        for fmt in self.tab_formats:
            rel = f"tables/{name}.{fmt}"
            path = self.out / rel
            if fmt == "csv":
                frame.to_csv(path, index=False, lineterminator="\n")
            elif fmt == "html":
                path.write_text(standalone_table_html(html, caption), encoding="utf-8")
            elif fmt == "docx":
                from crlm_outcomes.report.word import word_available, write_table_docx

                if not word_available():
                    continue  # the build's notes say why (see build._word_report)
                write_table_docx(frame, path, caption, footnote)
            elif fmt == "xlsx":
                from crlm_outcomes.report.word import write_table_xlsx

                write_table_xlsx(frame, path, caption)
            else:
                tex = latex if latex is not None else latex_table(frame)
                path.write_text(tex, encoding="utf-8")
            files.append(rel)
        return {
            "kind": "table",
            "name": name,
            "html": html,
            "files": files,
            "frame": frame,
            "caption": caption,
            "footnote": footnote,
        }


def _pool(jobs: int) -> Any:
    """A process pool of ``jobs`` forked workers, or None (serial) when jobs <= 1 or fork is
    unavailable (Windows, macOS default)."""
    if jobs <= 1:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))


def _render_figure(
    recipe: Callable[..., plt.Axes],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    out: str,
    name: str,
    formats: tuple[str, ...],
) -> tuple[bytes, int]:
    """Draw one figure and save it in every format; return (PNG bytes, PNG dpi)."""
    with publication_style():
        ax = recipe(*args, **kwargs)
    fig = figure_of(ax)
    png: bytes | None = None
    try:
        for fmt in formats:
            path = Path(out) / "figures" / f"{name}.{fmt}"
            with publication_style():  # 300 dpi PNG, fixed SVG salt, embedded TrueType
                savefig_deterministic(fig, path)
            if fmt == "png":
                png = path.read_bytes()
        dpi = 300
        if png is None:
            buf = io.BytesIO()
            with publication_style():
                fig.savefig(
                    buf, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight"
                )
            png, dpi = buf.getvalue(), 150
    finally:
        plt.close(fig)
    return png, dpi


#: Screen magnification of the inlined figures: drawn at print size (7-point text), they are
#: shown half as large again so that their text reads like the page's.
SCREEN_SCALE = 1.5


def _fill_figure(block: dict[str, Any], rendered: tuple[bytes, int]) -> None:
    """Inline the PNG in the block, at :data:`SCREEN_SCALE` times its print size in CSS pixels
    (96 per inch); the page's CSS caps it at the text width."""
    png, dpi = rendered
    width_px = int.from_bytes(png[16:20], "big")
    block["png_base64"] = base64.b64encode(png).decode("ascii")
    block["width"] = max(1, round(width_px * 96 / dpi * SCREEN_SCALE))
    block["print_width_in"] = width_px / dpi
