"""Readable labels of columns, levels, endpoints and time origins, for tables and figures.

The defaults come from one place, ``data_schema/canonical.yaml``: each canonical column's
``label`` and ``level_labels``, the ``derived_columns`` section (the columns
:func:`crlm_outcomes.stratify.apply_all` adds), ``endpoint_labels`` and ``origin_labels``.
Callers override any of them with a mapping of the same shape as the spec's ``labels:`` key::

    {"variables": {"ras_class": "RAS"},
     "levels": {"ras_class": {"incomplete_testing": "Not fully tested"}},
     "endpoints": {"os": "Overall survival (OS)"}}

A flat mapping of column name to text is taken as ``variables``. A level without a label is
shown with underscores as spaces and its first letter capitalised (``wild_type`` ->
``Wild type``); booleans are ``Yes``/``No``. Columns the schema does not know keep their names
and codes as written unless they have an underscore.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from crlm_outcomes._result import short_names, short_repr
from crlm_outcomes.errors import SpecError
from crlm_outcomes.schema.definition import canonical_definition
from crlm_outcomes.schema.endpoint_map import ENDPOINTS as ENDPOINT_MAP

__all__ = [
    "Labels",
    "default_labels",
    "resolve_labels",
    "humanize",
    "lower_first",
    "ENDPOINT_COLUMNS",
    "DEFAULT_ORIGINS",
    "endpoint_of",
]

#: Endpoint name -> (duration column, event column) (from the one endpoint map,
#: :data:`crlm_outcomes.schema.endpoint_map.ENDPOINTS`).
ENDPOINT_COLUMNS: dict[str, tuple[str, str]] = {
    k: (e.duration, e.event) for k, e in ENDPOINT_MAP.items()
}
#: Default time origin of each endpoint (the loader's defaults, from the endpoint map).
DEFAULT_ORIGINS: dict[str, str] = {k: e.origin for k, e in ENDPOINT_MAP.items()}
#: Units as written after "per" in a hazard-ratio label.
_PER_UNIT = {
    "years": "year",
    "cm": "cm",
    "mm": "mm",
    "ng/mL": "ng/mL",
    "percent": "percent",
    "months": "month",
}
_OVERRIDE_KEYS = ("variables", "levels", "endpoints")


#: First words of labels that are names and keep their capital mid-sentence.
_PROPER = frozenset({"Fong", "Nordlinger", "Oslo", "Clavien-Dindo", "Couinaud"})


def lower_first(text: str) -> str:
    """``Primary tumour side`` -> ``primary tumour side``; acronyms (``RAS status``) and names
    (``Fong ...``) keep their capital.

    Parameters
    ----------
    text
        A label, as it starts a sentence.

    Returns
    -------
    str
        ``text`` with its first letter lower-cased, unless its first word is an acronym (a
        second letter that is not lower case) or a name (Fong, Nordlinger, Oslo,
        Clavien-Dindo, Couinaud), which are returned unchanged.

    Examples
    --------
    >>> lower_first("Sex"), lower_first("KRAS"), lower_first("Oslo score")
    ('sex', 'KRAS', 'Oslo score')
    """
    first = text.split(" ", 1)[0]
    if first in _PROPER or not text[1:2].islower():
        return text
    return text[:1].lower() + text[1:]


def humanize(code: Any) -> str:
    """Readable text of a code without a label: underscores as spaces, first letter capital.

    Parameters
    ----------
    code
        A level code: text, a number, or a boolean (Python or numpy).

    Returns
    -------
    str
        ``"Yes"``/``"No"`` for a boolean; for text with an underscore or all lower case, the
        underscores as spaces and the first letter capitalised; any other code as written
        (``"T4a"``, ``"12"``).

    Examples
    --------
    >>> humanize("wild_type"), humanize("T4a"), humanize(True)
    ('Wild type', 'T4a', 'Yes')
    """
    if isinstance(code, (bool, np.bool_)):
        return "Yes" if code else "No"
    text = str(code)
    if "_" in text or text.islower():
        text = text.replace("_", " ")
        return text[:1].upper() + text[1:]
    return text


@dataclass(frozen=True)
class Labels:
    """Display texts of variables, their levels, endpoints and endpoint time origins.

    Attributes
    ----------
    variables
        Column -> label.
    levels
        Column -> {code as text -> label}.
    endpoints
        Endpoint (``os``, ``rfs``, ``hepatic_rfs``) -> label ("Overall survival").
    events
        Endpoint -> label of its event ("Death").
    origins
        Endpoint -> its time origin as text ("diagnosis of liver metastases").
    units
        Column -> unit (``years``, ``cm``) for "per unit" hazard-ratio labels.
    short
        Column -> one-word name (``fong_score`` -> ``Fong``) for identifiers such as model
        terms.

    Examples
    --------
    >>> lab = default_labels()
    >>> lab.variable("ras_class"), lab.level("ras_class", "wild_type")
    ('RAS status', 'Wild type')
    >>> lab.time_label("rfs")
    'Months from curative liver-directed treatment'
    """

    variables: Mapping[str, str] = field(default_factory=dict)
    levels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    endpoints: Mapping[str, str] = field(default_factory=dict)
    events: Mapping[str, str] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    short: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return short_repr(
            self,
            {
                "variables": len(self.variables),
                "levels": len(self.levels),
                "endpoints": short_names(self.endpoints),
            },
        )

    def short_name(self, name: str) -> str:
        """A one-word name (no spaces) where the schema gives one (``fong_score`` -> ``Fong``),
        for places that need an identifier, such as a model term; else the label.

        Parameters
        ----------
        name : str
            A column name.

        Returns
        -------
        str
            The short name from :attr:`short`, else :meth:`variable` of ``name``.

        Examples
        --------
        >>> lab = default_labels()
        >>> lab.short_name("fong_score"), lab.short_name("ras_class")
        ('Fong', 'RAS status')
        """
        return self.short.get(name, self.variable(name))

    def variable(self, name: str) -> str:
        """Label of a column; a name without a label is shown as it is, or, when it has an
        underscore, made readable (:func:`humanize`).

        Parameters
        ----------
        name : str
            A column name.

        Returns
        -------
        str
            The label from :attr:`variables`; else ``name`` humanized when it has an
            underscore, or as it is.

        Examples
        --------
        >>> lab = default_labels()
        >>> lab.variable("liver_mets_largest_cm"), lab.variable("my_new_var"), lab.variable("CEA")
        ('Largest liver metastasis', 'My new var', 'CEA')
        """
        if name in self.variables:
            return self.variables[name]
        return humanize(name) if "_" in str(name) else str(name)

    def inline(self, name: str) -> str:
        """The label of a column for use mid-sentence: first letter in lower case unless the
        label starts with an acronym (``RAS status``) or a name (``Fong clinical risk score``).

        Parameters
        ----------
        name : str
            A column name.

        Returns
        -------
        str
            :meth:`variable` of ``name`` with its first letter lowered (:func:`lower_first`).

        Examples
        --------
        >>> lab = default_labels()
        >>> lab.inline("sex"), lab.inline("ras_class"), lab.inline("fong_group")
        ('sex', 'RAS status', 'Fong clinical risk score')
        """
        return lower_first(self.variable(name))

    def readable(self, message: str) -> str:
        """A message for a reader: column names replaced by their labels, and the pointers to
        Python attributes dropped (``see result.excluded``).

        Parameters
        ----------
        message : str
            A message written for the Python user (a warning, an exclusion note).

        Returns
        -------
        str
            The message with ``see result.…`` pointers removed, ``row(s)`` as
            ``patient(s)``, labelled column names as their inline labels and endpoint columns
            (``rfs_months``) as their endpoint's label.

        Examples
        --------
        >>> default_labels().readable(
        ...     "3 row(s) excluded for missing values in ras_class; see result.excluded")
        '3 patient(s) excluded for missing values in RAS status'
        """
        text = re.sub(r"[;,]?\s*\(?see (?:result|fit|res|cohort)(?:\.\w+)+\)?", "", message)
        text = text.replace("row(s)", "patient(s)")

        def repl(m: re.Match[str]) -> str:
            name = m.group(0)
            if name in self.variables:
                return self.inline(name)
            endpoint = endpoint_of(name)
            if endpoint is not None:
                return lower_first(self.endpoint(endpoint))
            return name

        return re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", repl, text)

    def level(self, variable: str | None, code: Any) -> str:
        """Label of one level of ``variable``.

        Parameters
        ----------
        variable : str or None
            The column the level belongs to (None: no column, only the generic rules).
        code : Any
            The level as stored (text, number or boolean; ``True`` matches a label keyed
            ``True``, ``true`` or ``1``).

        Returns
        -------
        str
            The label from :attr:`levels`; else the code humanized (booleans ``Yes``/``No``)
            when the column is known or the code has an underscore, or the code as text.

        Examples
        --------
        >>> lab = default_labels()
        >>> lab.level("ras_class", "wild_type"), lab.level("sex", "female")
        ('Wild type', 'Female')
        >>> lab.level("extrahepatic_disease", True), lab.level(None, "A")
        ('Yes', 'A')
        """
        table = self.levels.get(variable or "", {})
        keys: tuple[str, ...]
        if isinstance(code, (bool, np.bool_)):
            keys = ("True", "true", "1") if code else ("False", "false", "0")
        else:
            keys = (str(code),)
        for key in keys:
            if key in table:
                return table[key]
        if variable in self.variables or "_" in str(code) or keys[0] in ("True", "False"):
            return humanize(code)
        return str(code)

    def endpoint(self, name: str) -> str:
        """Label of an endpoint (``os`` -> ``Overall survival``).

        Parameters
        ----------
        name : str
            An endpoint name (``os``, ``rfs``, ``hepatic_rfs`` or one of the caller's).

        Returns
        -------
        str
            The label from :attr:`endpoints`, else ``name`` humanized.

        Examples
        --------
        >>> lab = default_labels()
        >>> lab.endpoint("os"), lab.endpoint("rfs"), lab.endpoint("pfs_liver")
        ('Overall survival', 'Recurrence-free survival', 'Pfs liver')
        """
        return self.endpoints.get(name, humanize(name))

    def time_label(self, endpoint: str | None, unit: str = "Months") -> str:
        """Time-axis label stating the unit and origin: ``Months from liver resection``.

        Parameters
        ----------
        endpoint : str or None
            The endpoint whose time origin is stated (None or an endpoint without an
            origin: the unit alone).
        unit : str, default "Months"
            The time unit, as it should start the label.

        Returns
        -------
        str
            ``"<unit> from <origin>"``, or ``unit`` when no origin is known.

        Examples
        --------
        >>> lab = default_labels()
        >>> lab.time_label("os")
        'Months from diagnosis of liver metastases'
        >>> lab.time_label("rfs", unit="Years"), lab.time_label(None)
        ('Years from curative liver-directed treatment', 'Months')
        """
        origin = self.origins.get(endpoint or "")
        return f"{unit} from {origin}" if origin else unit

    def term(self, variable: str) -> str:
        """Label of a continuous model term: ``Age at diagnosis (per year)``.

        Parameters
        ----------
        variable : str
            A column used as a continuous covariate.

        Returns
        -------
        str
            :meth:`variable` of it, followed by ``(per <unit>)`` when :attr:`units` gives
            its unit.

        Examples
        --------
        >>> lab = default_labels()
        >>> lab.term("age_at_diagnosis"), lab.term("liver_mets_largest_cm")
        ('Age at diagnosis (per year)', 'Largest liver metastasis (per cm)')
        """
        unit = self.units.get(variable)
        per = _PER_UNIT.get(unit or "")
        base = self.variable(variable)
        return f"{base} (per {per})" if per else base

    def with_origins(self, origins: Mapping[str, str]) -> Labels:
        """A copy with the endpoints' origins given as loader codes (``liver_resection``) or
        text.

        Parameters
        ----------
        origins : Mapping[str, str]
            Endpoint -> origin: a loader code (as in ``Cohort.provenance["endpoint_origins"]``)
            or free text; empty values are skipped.

        Returns
        -------
        Labels
            A new ``Labels`` whose :attr:`origins` hold the origins' texts (codes translated
            by the schema's ``origin_labels``, other text with underscores as spaces).

        Examples
        --------
        >>> lab = default_labels().with_origins({"os": "liver_resection"})
        >>> lab.time_label("os")
        'Months from liver resection'
        >>> default_labels().with_origins({"os": "first clinic visit"}).time_label("os")
        'Months from first clinic visit'
        """
        texts = _origin_texts()
        new = dict(self.origins)
        for k, v in origins.items():
            if v:
                new[k] = texts.get(str(v), str(v).replace("_", " "))
        return replace(self, origins=new)

    def merged(self, overrides: Labels | Mapping[str, Any] | None) -> Labels:
        """These labels with ``overrides`` on top (see :func:`resolve_labels`).

        Parameters
        ----------
        overrides : Labels or Mapping or None
            Another ``Labels`` (every field merged), a mapping with keys among
            ``variables``, ``levels``, ``endpoints`` (the spec's ``labels:`` key), a flat
            mapping column -> label (taken as ``variables``), or None (no change).

        Returns
        -------
        Labels
            A new ``Labels``; levels are merged per column, so overriding one level keeps
            the column's other labels.

        Raises
        ------
        SpecError
            ``overrides`` is not a mapping, or has an unknown key holding a mapping.

        Examples
        --------
        >>> lab = default_labels().merged(
        ...     {"variables": {"ras_class": "RAS"},
        ...      "levels": {"ras_class": {"incomplete_testing": "Not fully tested"}}})
        >>> lab.variable("ras_class"), lab.level("ras_class", "incomplete_testing")
        ('RAS', 'Not fully tested')
        >>> lab.level("ras_class", "wild_type")
        'Wild type'
        >>> default_labels().merged({"ras_class": "RAS"}).variable("ras_class")
        'RAS'
        """
        if overrides is None:
            return self
        if isinstance(overrides, Labels):
            return Labels(
                variables={**self.variables, **overrides.variables},
                levels=_merge_levels(self.levels, overrides.levels),
                endpoints={**self.endpoints, **overrides.endpoints},
                events={**self.events, **overrides.events},
                origins={**self.origins, **overrides.origins},
                units={**self.units, **overrides.units},
                short={**self.short, **overrides.short},
            )
        if not isinstance(overrides, Mapping):
            raise SpecError(
                "labels must be a mapping",
                value=type(overrides).__name__,
                expected="{'variables': {...}, 'levels': {...}, 'endpoints': {...}}"
                " or {column: label}",
            )
        if overrides and not set(overrides) <= set(_OVERRIDE_KEYS):
            if any(isinstance(v, Mapping) for v in overrides.values()):
                unknown = sorted(set(overrides) - set(_OVERRIDE_KEYS))
                raise SpecError(
                    "unknown key in labels",
                    value=unknown,
                    expected=f"keys among {list(_OVERRIDE_KEYS)}",
                )
            overrides = {"variables": overrides}
        variables = {str(k): str(v) for k, v in (overrides.get("variables") or {}).items()}
        levels = {
            str(k): {_code_key(c): str(t) for c, t in (v or {}).items()}
            for k, v in (overrides.get("levels") or {}).items()
        }
        endpoints = {str(k): str(v) for k, v in (overrides.get("endpoints") or {}).items()}
        return Labels(
            variables={**self.variables, **variables},
            levels=_merge_levels(self.levels, levels),
            endpoints={**self.endpoints, **endpoints},
            events=dict(self.events),
            origins=dict(self.origins),
            units=dict(self.units),
            short=dict(self.short),
        )


def _code_key(code: Any) -> str:
    if isinstance(code, bool):
        return "True" if code else "False"
    return str(code)


def _merge_levels(
    a: Mapping[str, Mapping[str, str]], b: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    out = {k: dict(v) for k, v in a.items()}
    for k, v in b.items():
        out.setdefault(k, {}).update(v)
    return out


def _raw() -> dict[str, Any]:
    """The label sections of the validated canonical schema, in the YAML's shape."""
    schema = canonical_definition()
    columns = {
        name: {"label": c.label, "level_labels": dict(c.level_labels), "unit": c.unit}
        for name, c in schema.columns.items()
    }
    return {
        "columns": columns,
        "derived_columns": schema.derived_columns,
        "endpoint_labels": schema.endpoint_labels,
        "origin_labels": schema.origin_labels,
    }


def _origin_texts() -> dict[str, str]:
    return {str(k): str(v) for k, v in (_raw().get("origin_labels") or {}).items()}


@lru_cache(maxsize=1)
def default_labels() -> Labels:
    """The labels of ``data_schema/canonical.yaml`` (read once).

    Examples
    --------
    >>> default_labels().level("primary_node_positive", True)
    'Yes'
    """
    raw = _raw()
    variables: dict[str, str] = {}
    levels: dict[str, dict[str, str]] = {}
    units: dict[str, str] = {}
    short: dict[str, str] = {}
    for section in ("columns", "derived_columns"):
        for name, spec in (raw.get(section) or {}).items():
            spec = spec or {}
            if spec.get("label"):
                variables[str(name)] = str(spec["label"])
            if spec.get("level_labels"):
                levels[str(name)] = {_code_key(k): str(v) for k, v in spec["level_labels"].items()}
            if spec.get("unit"):
                units[str(name)] = str(spec["unit"])
            if spec.get("short"):
                short[str(name)] = str(spec["short"])
    endpoints = {str(k): str(v["label"]) for k, v in raw.get("endpoint_labels", {}).items()}
    events = {str(k): str(v["event"]) for k, v in raw.get("endpoint_labels", {}).items()}
    texts = _origin_texts()
    origins = {k: texts[v] for k, v in DEFAULT_ORIGINS.items()}
    return Labels(
        variables=variables,
        levels=levels,
        endpoints=endpoints,
        events=events,
        origins=origins,
        units=units,
        short=short,
    )


def resolve_labels(labels: Labels | Mapping[str, Any] | None = None) -> Labels:
    """The default labels with ``labels`` on top.

    Parameters
    ----------
    labels
        None (defaults), a :class:`Labels`, a mapping with keys ``variables``, ``levels``,
        ``endpoints`` (as the spec's ``labels:``), or a flat mapping column -> label.

    Returns
    -------
    Labels

    Raises
    ------
    SpecError
        ``labels`` is not a mapping, or has an unknown key.

    Examples
    --------
    >>> resolve_labels({"ras_class": "RAS"}).variable("ras_class")
    'RAS'
    >>> resolve_labels({"levels": {"sex": {"male": "Men"}}}).level("sex", "male")
    'Men'
    """
    return default_labels().merged(labels)


_DURATION = {d: e for e, (d, _) in ENDPOINT_COLUMNS.items()}
_EVENT = {ev: e for e, (_, ev) in ENDPOINT_COLUMNS.items()}


def endpoint_of(column: str | None) -> str | None:
    """The endpoint (``os``, ``rfs``, ``hepatic_rfs``) whose duration or event column this is.

    Parameters
    ----------
    column
        A column name (``os_months``, ``rfs_event``, ``rfs_cause``), or ``None``.

    Returns
    -------
    str or None
        The endpoint's key in :data:`ENDPOINT_COLUMNS`; ``None`` for ``None`` or a column that
        belongs to no endpoint.

    Examples
    --------
    >>> endpoint_of("rfs_months"), endpoint_of("age_at_diagnosis")
    ('rfs', None)
    """
    if column is None:
        return None
    if column == "rfs_cause":
        return "rfs"
    return _DURATION.get(column) or _EVENT.get(column)
