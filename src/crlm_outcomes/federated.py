"""Multi-centre analysis without moving patient rows: the public entry point.

* :func:`site_export` (run at each site) writes a reviewable file of per-month counts, small
  cells merged; :func:`pool_sites` (at the coordinator) reads them into a :class:`SiteData`
  that :func:`crlm_outcomes.kaplan_meier`, :func:`~crlm_outcomes.logrank`,
  :func:`~crlm_outcomes.cumulative_incidence` and :func:`~crlm_outcomes.gray_test` accept
  (:mod:`crlm_outcomes.scale.federated`);
* :func:`federated_cox` fits the Cox model by rounds of file exchange, each site answering with
  :func:`site_respond`; :func:`local_exchange` runs every site in this process and
  :func:`folder_exchange` waits for the sites' files in a shared folder
  (:mod:`crlm_outcomes.scale.federated_cox`).

Importing this module does not import DuckDB or Dask.
"""

from crlm_outcomes.scale.federated import SiteData, pool_sites, site_export
from crlm_outcomes.scale.federated_cox import (
    federated_cox,
    folder_exchange,
    local_exchange,
    site_respond,
)

__all__ = [
    "SiteData",
    "federated_cox",
    "folder_exchange",
    "local_exchange",
    "pool_sites",
    "site_export",
    "site_respond",
]
