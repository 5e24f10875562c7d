"""``python -m crlm_outcomes`` runs the command-line interface (same as ``crlm-outcomes``)."""

from crlm_outcomes.cli import app

app(prog_name="crlm-outcomes")
