"""Beyond one machine: the same survival numbers from DuckDB, Dask and site files.

* :mod:`~crlm_outcomes.scale.aggregate` reduces rows to their distinct lines where the data
  live (pandas, DuckDB, Dask);
* :mod:`~crlm_outcomes.scale.survival` runs Kaplan–Meier, log-rank, cumulative incidence and
  Gray's test on those lines (the public functions dispatch there by the input's type);
* :mod:`~crlm_outcomes.scale.federated` exports per-site statistics to reviewable files and
  pools them at a coordinator;
* :mod:`~crlm_outcomes.scale._cox` fits the Cox model on DuckDB, Dask or pandas by per-time sums
  (:mod:`~crlm_outcomes.scale._cox_sums`), and :mod:`~crlm_outcomes.scale.federated_cox` across
  sites by rounds of file exchange.
"""

from crlm_outcomes.scale.aggregate import Aggregate, aggregate, engine_of
from crlm_outcomes.scale.survival import is_external

__all__ = ["Aggregate", "aggregate", "engine_of", "is_external"]
