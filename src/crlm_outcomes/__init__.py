"""crlm_outcomes: outcome research on colorectal cancer liver metastases.

load -> stratify -> analyse -> present. See README.md.
"""

__version__ = "0.1.0"
