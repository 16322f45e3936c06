"""``python -m localci``: the same entry point as the ``localci`` console script."""

from __future__ import annotations

from localci.cli.main import entry

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    entry()
