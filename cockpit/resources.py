"""Where the shipped data folders (``themes/``, ``sample_data/``) are, in a checkout or an install."""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
_INSTALLED = Path(sys.prefix) / "share" / "incident-cockpit"


def data_folder(name: str) -> Path:
    """The folder ``name`` from the source checkout if there is one, else from the installed share/."""
    for base in (_CHECKOUT, _INSTALLED):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    return _CHECKOUT / name
