"""``python -m localci``: the same entry point as the ``localci`` console script."""

from __future__ import annotations

from localci.cli.main import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
