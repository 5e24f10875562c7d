"""crlm_outcomes.io: audited loading of cohort files into the canonical schema.

``load_cohort(source, profile="canonical", **options) -> Cohort``; ``list_profiles()`` names the
shipped profiles (canonical, institutional, seer, ncdb, tcia_crlm); pass a YAML path for your own.
"""

from crlm_outcomes.io.cohort import Cohort, LoadAudit, MissingReasons
from crlm_outcomes.io.load import load_cohort
from crlm_outcomes.io.profile import Profile, list_profiles, load_profile

__all__ = [
    "Cohort",
    "LoadAudit",
    "MissingReasons",
    "Profile",
    "list_profiles",
    "load_cohort",
    "load_profile",
]
