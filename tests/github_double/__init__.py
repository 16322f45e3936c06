"""A stateful GitHub REST double for localci's tests, checked against GitHub's OpenAPI.

See :mod:`tests.github_double.double` for the behaviour and
:mod:`tests.github_double.plugin` for the ``github_double`` pytest fixture.
"""

from __future__ import annotations

from .auth import generate_app_key
from .double import GitHubDouble
from .errors import DoubleError
from .pipeline import RequestRecord, Violation
from .state import ACTIONS_APP_ID, TokenKind

__all__ = [
    "ACTIONS_APP_ID",
    "DoubleError",
    "GitHubDouble",
    "RequestRecord",
    "TokenKind",
    "Violation",
    "generate_app_key",
]
