"""localci: run a project's CI locally, bind the result to the commit, sign and publish it.

The public Python API is deliberately small:

- :data:`__version__` -- the installed localci version string (PEP 440).
- :func:`verify` -- check a result (and its Sigstore bundle) against a policy; returns a
  :class:`localci.verifier.check.Verdict`. Imported lazily so ``import localci`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "verify"]


def verify(*args: Any, **kwargs: Any) -> Any:
    """Verify a result against a policy; see :func:`localci.verifier.check.verify_result`."""
    from localci.verifier.check import verify_result

    return verify_result(*args, **kwargs)
