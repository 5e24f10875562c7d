"""Publication style: palette and byte-identical figure files."""

import hashlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from crlm_outcomes.plots.style import (  # noqa: E402
    OKABE_ITO,
    new_axes,
    palette,
    panel_grid,
    savefig_deterministic,
)


def test_palette_cycles_okabe_ito():
    assert palette(3) == OKABE_ITO[:3]
    assert palette(9)[8] == OKABE_ITO[0]


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_same_figure_gives_same_bytes(tmp_path, suffix):
    digests = []
    for i in range(2):
        ax = new_axes()
        ax.step([0, 1, 2, 3], [1, 0.8, 0.6, 0.5], where="post")
        ax.set_title("Overall survival")
        path = savefig_deterministic(ax.figure, tmp_path / f"f{i}.{suffix}")
        plt.close(ax.figure)
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_new_axes_returns_given_axes():
    fig, ax = plt.subplots()
    assert new_axes(ax) is ax
    plt.close(fig)


def test_panel_grid_rows_of_three_and_leftover_cells_off():
    axes = panel_grid(5)
    fig = axes[0].figure
    assert len(axes) == 5 and all(a.figure is fig for a in axes)
    assert [round(float(v), 2) for v in fig.get_size_inches()] == [7.2, 4.0]
    assert [a.axison for a in fig.axes] == [True] * 5 + [False]
    plt.close(fig)
    one = panel_grid(1, width=3.0, height=2.5)
    assert [float(v) for v in one[0].figure.get_size_inches()] == [3.0, 2.5]
    plt.close(one[0].figure)
    with pytest.raises(ValueError, match="at least one panel"):
        panel_grid(0)
