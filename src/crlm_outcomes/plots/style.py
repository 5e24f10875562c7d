"""Publication styling shared by every figure: a colour-blind-safe palette and one-column sizes.

The palette is Okabe & Ito's (2008), safe for the common colour-vision deficiencies. Figures are
sized for a journal column (3.5 in) or a page (7.2 in) and use a deterministic font set, so that
the same data always give byte-identical output files (see :func:`savefig_deterministic`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler
from matplotlib.transforms import Bbox

__all__ = [
    "OKABE_ITO",
    "palette",
    "publication_style",
    "new_axes",
    "panel_grid",
    "savefig_deterministic",
    "fit_width",
    "ONE_COLUMN_IN",
    "TWO_COLUMN_IN",
]

OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
ONE_COLUMN_IN = 3.5
TWO_COLUMN_IN = 7.2


def palette(n: int) -> list[str]:
    """The first ``n`` Okabe-Ito colours (cycled when ``n`` exceeds eight).

    Parameters
    ----------
    n
        Number of colours (one per group drawn).

    Returns
    -------
    list of str
        ``n`` hex colour strings, in Okabe-Ito order.

    Examples
    --------
    >>> palette(3)
    ['#0072B2', '#D55E00', '#009E73']
    >>> palette(9)[-1] == palette(1)[0]  # the ninth colour starts the cycle again
    True
    """
    return [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)]


@contextmanager
def publication_style() -> Iterator[None]:
    """Context manager applying the package's rcParams (fonts, spines, palette, SVG hash salt).

    Returns
    -------
    contextlib.AbstractContextManager
        Inside the ``with`` block the rcParams are those of the package's figures; on exit the
        previous ones are restored.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with publication_style():
    ...     print(mpl.rcParams["font.size"], mpl.rcParams["axes.spines.top"])
    8.0 False
    """
    # the literal is given inline so that its keys type-check against matplotlib's rc names
    with mpl.rc_context(
        {
            "font.family": "DejaVu Sans",
            "font.size": 8,
            "axes.titlesize": 9,
            "axes.labelsize": 8,
            "xtick.labelsize": 7,
            "ytick.labelsize": 7,
            "legend.fontsize": 7,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.linewidth": 0.8,
            "lines.linewidth": 1.3,
            "figure.dpi": 100,
            "savefig.dpi": 300,
            "svg.hashsalt": "crlm_outcomes",
            "svg.fonttype": "none",
            "pdf.fonttype": 42,
            "axes.prop_cycle": cycler(color=OKABE_ITO),
        }
    ):
        yield


def new_axes(
    ax: plt.Axes | None = None, *, width: float = ONE_COLUMN_IN, height: float = 2.6
) -> plt.Axes:
    """Return ``ax`` unchanged, or a new Axes on a figure of the given size in inches.

    Parameters
    ----------
    ax
        An existing Axes to draw on, or None for a new figure.
    width, height
        Size of a new figure in inches (default one journal column, 3.5 x 2.6 in).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself, or the Axes of the new figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = new_axes(height=2.0)
    >>> [float(v) for v in ax.figure.get_size_inches()]
    [3.5, 2.0]
    >>> new_axes(ax) is ax
    True
    >>> plt.close(ax.figure)
    """
    if ax is not None:
        return ax
    with publication_style():
        _, new = plt.subplots(figsize=(width, height))
    return new


def panel_grid(n: int, *, ncol: int = 3, width: float = 2.4, height: float = 2.0) -> list[plt.Axes]:
    """A new figure of ``n`` panels in rows of up to ``ncol``, each ``width`` x ``height`` inches.

    The cells the last row leaves over are switched off (no frame, ticks or labels).

    Parameters
    ----------
    n
        Number of panels (at least one).
    ncol
        Most panels in a row.
    width, height
        Size of one panel in inches (default 2.4 x 2.0, the report's multi-panel figures).

    Returns
    -------
    list of matplotlib.axes.Axes
        The ``n`` panels, row by row, on one figure.

    Raises
    ------
    ValueError
        ``n`` or ``ncol`` is less than one.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> axes = panel_grid(4)
    >>> len(axes), [round(float(v), 2) for v in axes[0].figure.get_size_inches()]
    (4, [7.2, 4.0])
    >>> [a.axison for a in axes[0].figure.axes]  # the two cells left over are off
    [True, True, True, True, False, False]
    >>> plt.close(axes[0].figure)
    """
    if n < 1 or ncol < 1:
        raise ValueError(f"a panel grid needs at least one panel and column, got {n} and {ncol}")
    cols = min(ncol, n)
    rows = -(-n // cols)
    with publication_style():
        _, grid = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    cells = list(grid.ravel())
    for extra in cells[n:]:
        extra.axis("off")
    return cells[:n]


def figure_of(ax: plt.Axes) -> Figure:
    """The figure ``ax`` is drawn on (the top-level one when ``ax`` sits in a SubFigure).

    Parameters
    ----------
    ax
        An Axes placed on a figure.

    Returns
    -------
    matplotlib.figure.Figure
        The top-level figure holding ``ax`` (the one to save or close).

    Raises
    ------
    ValueError
        ``ax`` is not on any figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure()
    >>> ax = fig.subfigures(1, 2)[1].add_subplot()
    >>> figure_of(ax) is fig, ax.figure is fig
    (True, False)
    >>> plt.close(fig)
    """
    holder = ax.figure
    if holder is None:  # matplotlib < 3.9 types an Axes' figure as optional
        raise ValueError("the Axes is not on a figure")
    return holder.canvas.figure


def fit_width(fig: plt.Figure, width: float = ONE_COLUMN_IN, pad: float = 0.04) -> plt.Figure:
    """Place the axes of ``fig`` so that everything drawn (tick labels, legends, a risk table's
    row names) spans exactly ``width`` inches: every figure of a kind then has the same width
    once cropped, whatever the length of its labels.

    The axes keep their vertical placement; the horizontal margins are measured on the drawn
    figure and the axes widened or narrowed to fill the rest.

    Parameters
    ----------
    fig
        The figure, drawn completely (labels, legend, risk table) before the call.
    width
        Target width in inches of everything drawn (default one journal column, 3.5 in).
    pad
        Margin in inches kept on each side.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` itself, ``width`` inches wide, its axes moved in place. Left unchanged in
        placement when the labels alone would take more than 80% of the width.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(5, 2))
    >>> _ = ax.set_ylabel("A rather long label of the y axis")
    >>> fig = fit_width(fig, 3.5)
    >>> float(fig.get_figwidth()), round(float(fig.get_tightbbox().width), 2)  # 3.5 - 2 pads
    (3.5, 3.42)
    >>> plt.close(fig)
    """
    fig.set_figwidth(width)
    for _ in range(2):
        fig.canvas.draw()
        boxes: list[Bbox] = []
        for ax in fig.axes:
            box = ax.get_tightbbox() if ax.get_visible() else None  # the canvas's renderer
            if box is not None:
                boxes.append(box)
        if not boxes:
            return fig
        dpi = fig.dpi
        left_ext = min(b.x0 for b in boxes) / dpi
        right_ext = max(b.x1 for b in boxes) / dpi
        x0 = min(ax.get_position().x0 for ax in fig.axes) * width
        x1 = max(ax.get_position().x1 for ax in fig.axes) * width
        left_need = x0 - left_ext + pad
        right_need = right_ext - x1 + pad
        if left_need + right_need >= width * 0.8:
            return fig
        new_x0, new_x1 = left_need / width, 1 - right_need / width
        for ax in fig.axes:
            pos = ax.get_position()
            ax.set_position((new_x0, pos.y0, new_x1 - new_x0, pos.height))
    return fig


def savefig_deterministic(fig: plt.Figure, path: str | Path) -> Path:
    """Save ``fig`` so that the same figure always gives the same bytes (PNG, SVG or PDF).

    Creation dates and software stamps are removed from the metadata and the SVG id salt is fixed,
    which is what makes a report rebuild byte-identical. SVG text stays text
    (``svg.fonttype = "none"``), so an art editor can change a label without redrawing.

    Parameters
    ----------
    fig
        The figure to save.
    path
        Output file; its suffix (``.png``, ``.svg``, ``.pdf``) chooses the format.

    Returns
    -------
    pathlib.Path
        ``path`` as a Path.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, tempfile
    >>> from pathlib import Path
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     a = savefig_deterministic(fig, Path(tmp) / "a.svg").read_bytes()
    ...     b = savefig_deterministic(fig, Path(tmp) / "b.svg").read_bytes()
    >>> a == b
    True
    >>> plt.close(fig)
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    metadata: dict[str, str | None]
    if fmt == "png":
        metadata = {"Software": None}
    elif fmt == "pdf":
        metadata = {"Creator": None, "Producer": None, "CreationDate": None}
    elif fmt == "svg":
        metadata = {"Creator": None, "Date": None}
    else:
        metadata = {}
    with mpl.rc_context({"svg.hashsalt": "crlm_outcomes", "svg.fonttype": "none"}):
        fig.savefig(path, format=fmt, metadata=metadata, bbox_inches="tight")
    return path
