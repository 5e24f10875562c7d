"""The environment report for bug reports: ``crlm_outcomes.show_versions()``.

Modelled on ``pandas.show_versions()``: the package, Python, the platform, and the installed
version of every runtime dependency and optional extra (``not installed`` when absent), read
from the installed distributions' metadata rather than by importing them.
"""

from __future__ import annotations

import platform
import re
import sys
from importlib import metadata

__all__ = ["versions", "show_versions"]

#: Distributions reported beside the package's own requirements: the optional engines and peers.
_EXTRA = (
    "lifelines",
    "scikit-survival",
    "duckdb",
    "dask",
    "distributed",
    "python-docx",
    "weasyprint",
    "pytest",
    "hypothesis",
)


def _requirement_names() -> list[str]:
    try:
        reqs = metadata.requires("crlm_outcomes") or []
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        reqs = []
    names = []
    for req in reqs:
        if "extra ==" in req:
            continue
        name = re.split(r"[ <>=!~;\[(]", req, maxsplit=1)[0]
        if name and name not in names:
            names.append(name)
    return names


def versions() -> dict[str, str]:
    """Versions of the package, Python, the platform and every dependency.

    Returns
    -------
    dict
        ``{name: version}``; ``"not installed"`` for an absent optional package.

    Examples
    --------
    >>> v = versions()
    >>> v["crlm_outcomes"] == __import__("crlm_outcomes").__version__
    True
    >>> "pandas" in v and "python" in v
    True
    """
    import crlm_outcomes

    out = {
        "crlm_outcomes": crlm_outcomes.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in [*_requirement_names(), "numpy", "pandas", *_EXTRA]:
        if name in out:
            continue
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def show_versions() -> None:
    """Print :func:`versions` as an aligned two-column list (paste it into a bug report).

    Returns
    -------
    None
        The list is printed.

    Examples
    --------
    >>> show_versions()  # doctest: +ELLIPSIS
    crlm_outcomes ...
    """
    info = versions()
    width = max(len(k) for k in info)
    for name, version in info.items():
        print(f"{name:<{width}}  {version}")
