"""The one endpoint map: endpoint name -> duration and event columns, labels and origin.

Everything that needs to know which canonical columns hold an endpoint (the loader and its
profiles, the consistency rules, the report spec and its sections, the display labels) imports
it from here; the columns themselves are defined in ``canonical.yaml`` (group *endpoints*) and
derived by :func:`crlm_outcomes.schema.endpoints.derive_endpoints`; the display texts are the
schema's ``endpoint_labels`` and ``origin_labels``.

Examples
--------
>>> ENDPOINTS["rfs"].duration, ENDPOINTS["rfs"].event, ENDPOINTS["rfs"].cause
('rfs_months', 'rfs_event', 'rfs_cause')
>>> ENDPOINTS["os"].label
'Overall survival'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from crlm_outcomes.errors import SchemaDefinitionError
from crlm_outcomes.schema.definition import canonical_definition

__all__ = [
    "ENDPOINTS",
    "ENDPOINT_COLUMNS",
    "ENDPOINT_ORIGINS",
    "OS_ORIGINS",
    "Endpoint",
    "DURATION_COLUMNS",
]


@dataclass(frozen=True)
class Endpoint:
    """One survival endpoint of the canonical schema.

    Attributes
    ----------
    name
        Short name (``os``, ``rfs``, ``hepatic_rfs``), as used in report specs and profiles.
    duration, event
        Canonical columns of the follow-up time (months) and the event indicator (1 event,
        0 censored).
    label
        Human-readable name for tables and figures (``endpoint_labels`` of the schema).
    event_label
        What the event is (``"Death"``, ``"Recurrence or death"``).
    origin
        Where the time starts when the loader derives it (``os``: the ``os_origin`` load option,
        default ``liver_mets_diagnosis``; a registry file carrying the months declares its own
        origin in its profile's ``endpoint_origins``).
    cause
        Competing-risk status column (0 censored, 1 the event of interest, 2 the competing
        event), or ``None``.

    Examples
    --------
    >>> from crlm_outcomes.schema.endpoint_map import ENDPOINTS
    >>> rfs = ENDPOINTS["rfs"]
    >>> rfs.label, rfs.event_label, rfs.origin
    ('Recurrence-free survival', 'Recurrence or death', 'curative_liver_treatment')
    >>> rfs.columns
    ('rfs_months', 'rfs_event', 'rfs_cause')
    """

    name: str
    duration: str
    event: str
    label: str
    event_label: str
    origin: str
    cause: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The endpoint's canonical columns (duration, event and, if any, cause)."""
        return (self.duration, self.event) + ((self.cause,) if self.cause else ())


#: Endpoint name -> (duration, event, default origin, competing-risk cause column).
_COLUMNS = {
    "os": ("os_months", "os_event", "liver_mets_diagnosis", None),
    "rfs": ("rfs_months", "rfs_event", "curative_liver_treatment", "rfs_cause"),
    "hepatic_rfs": ("hepatic_rfs_months", "hepatic_rfs_event", "curative_liver_treatment", None),
}


def _endpoints() -> dict[str, Endpoint]:
    texts = canonical_definition().endpoint_labels
    if set(texts) != set(_COLUMNS):
        raise SchemaDefinitionError(
            "the schema's endpoint_labels must name every endpoint",
            value=sorted(texts),
            expected=f"{sorted(_COLUMNS)}",
        )
    return {
        k: Endpoint(k, d, e, texts[k]["label"], texts[k]["event"], origin, cause)
        for k, (d, e, origin, cause) in _COLUMNS.items()
    }


#: Endpoint name -> :class:`Endpoint`, in the order reports list them.
ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(_endpoints())

#: Every canonical endpoint column (derived by the loader, never typed by hand).
ENDPOINT_COLUMNS: frozenset[str] = frozenset(c for e in ENDPOINTS.values() for c in e.columns)

#: The follow-up time columns, in :data:`ENDPOINTS` order.
DURATION_COLUMNS: tuple[str, ...] = tuple(e.duration for e in ENDPOINTS.values())

#: ``os_origin`` load option -> origin date column of derived overall survival.
OS_ORIGINS: Mapping[str, str] = MappingProxyType(
    {
        "liver_mets_diagnosis": "liver_mets_diagnosis_date",
        "liver_resection": "liver_resection_date",
        "primary_diagnosis": "primary_diagnosis_date",
    }
)

#: Allowed origins of an endpoint (``endpoint_origins`` in a loader profile, ``os_origin``).
ENDPOINT_ORIGINS: tuple[str, ...] = (*OS_ORIGINS, "curative_liver_treatment")
