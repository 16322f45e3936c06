"""pytest plugin: the ``github_double`` fixture.

Register it with ``-p tests.github_double.plugin`` or, in ``tests/conftest.py``,
``pytest_plugins = ["tests.github_double.plugin"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .double import GitHubDouble
from .spec import load_spec

__all__ = ["github_double"]


@pytest.fixture
def github_double() -> Iterator[GitHubDouble]:
    """A started :class:`GitHubDouble` on ``127.0.0.1`` (function-scoped).

    The OpenAPI description is parsed once per process; starting a double takes about a
    millisecond. At teardown the server is stopped and the test FAILS (an error at
    teardown) if any request violated GitHub's OpenAPI description or a hand-coded GitHub
    rule, or if the double sent an answer that violates the description. A test that
    provokes violations on purpose consumes them with
    :meth:`GitHubDouble.take_violations`.
    """
    double = GitHubDouble(load_spec()).start()
    try:
        yield double
    finally:
        double.stop()
    problems = double.problems()
    if problems:
        pytest.fail(
            "GitHub double: requests broke GitHub's API contract or the double failed:\n"
            + "\n".join(problems),
            pytrace=False,
        )
