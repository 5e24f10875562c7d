"""Unit conversion for profile columns: an explicit table, never a guess.

A profile declares the unit of every source column whose canonical column has a unit
(``canonical.yaml`` ``unit:``). The loader multiplies by the factor below. A pair that is not in
the table is a :class:`~crlm_outcomes.errors.ProfileError`; a missing declaration is one too.

CEA: 1 ng/mL = 1 µg/L (same mass per volume, 1e-9 g / 1e-3 L = 1e-6 g / 1 L), so the factor is 1
(see the note on the Oslo score in /work/shared/clinical-definitions.md: "80 µg/L = 80 ng/mL").
"""

from __future__ import annotations

from crlm_outcomes.schema.definition import canonical_definition

__all__ = ["UNIT_FACTORS", "unit_factor", "normalise_unit"]

_ALIASES = {
    "µg/l": "ug/L",
    "μg/l": "ug/L",  # Greek mu
    "ug/l": "ug/L",
    "mcg/l": "ug/L",
    "ng/ml": "ng/mL",
    "cm": "cm",
    "mm": "mm",
    "years": "years",
    "year": "years",
    "months": "months",
    "month": "months",
    "days": "days",
    "day": "days",
    "percent": "percent",
    "%": "percent",
    "fraction": "fraction",
    "kg/m2": "kg/m2",
    "kg/m^2": "kg/m2",
    "kg/m²": "kg/m2",
}

#: (canonical unit, source unit) -> factor; canonical value = source value * factor.
UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("ng/mL", "ng/mL"): 1.0,
    ("ng/mL", "ug/L"): 1.0,
    ("cm", "cm"): 1.0,
    ("cm", "mm"): 0.1,
    ("mm", "mm"): 1.0,
    ("mm", "cm"): 10.0,
    ("years", "years"): 1.0,
    ("months", "months"): 1.0,
    ("months", "days"): 1.0 / canonical_definition().days_per_month,
    ("percent", "percent"): 1.0,
    ("percent", "fraction"): 100.0,
    ("kg/m2", "kg/m2"): 1.0,
}


def normalise_unit(unit: str) -> str:
    """Canonical spelling of a unit name (case-insensitive; µ, μ and u are the same).

    Parameters
    ----------
    unit
        A unit as written in a profile (``"mm"``, ``"µg/l"``, ``"%"``).

    Returns
    -------
    str
        The package's spelling of the unit (``"ug/L"``, ``"percent"``); a unit it does not
        know is returned trimmed, as written.

    Examples
    --------
    >>> normalise_unit("µg/l"), normalise_unit(" % "), normalise_unit("Year"), normalise_unit("IU")
    ('ug/L', 'percent', 'years', 'IU')
    """
    key = str(unit).strip().lower()
    return _ALIASES.get(key, str(unit).strip())


def unit_factor(canonical_unit: str, source_unit: str) -> float | None:
    """Multiplier from ``source_unit`` to ``canonical_unit``, or ``None`` if not convertible.

    Parameters
    ----------
    canonical_unit
        The unit of the canonical column (``canonical.yaml``).
    source_unit
        The unit the source file writes (a profile's ``unit:``); any spelling
        :func:`normalise_unit` knows.

    Returns
    -------
    float or None
        The factor of :data:`UNIT_FACTORS` (canonical value = source value * factor), or
        ``None`` when the pair is not in the table (the conversion is never guessed).

    Examples
    --------
    Liver metastasis size is in cm; a hospital that writes millimetres, or a percentage
    written as a fraction:

    >>> unit_factor("cm", "mm"), unit_factor("percent", "fraction"), unit_factor("ng/mL", "µg/l")
    (0.1, 100.0, 1.0)
    >>> unit_factor("cm", "years") is None
    True
    """
    return UNIT_FACTORS.get((normalise_unit(canonical_unit), normalise_unit(source_unit)))
