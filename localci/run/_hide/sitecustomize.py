"""Put first on ``PYTHONPATH`` of isolated stages by localci: hide the user's work tree.

By the time Python imports ``sitecustomize``, :mod:`site` has processed every ``.pth``
file, including those an editable install leaves (a path naming the work tree, or an
import hook that maps module names into it). An isolated run must test the commit's code
only, so this module:

1. drops every ``sys.path`` entry inside the work tree (``LOCALCI_HIDE``), except the
   interpreter's own environment (a ``.venv/`` at the repository root);
2. wraps every import hook that is not one of Python's own, so a module it would load
   from inside the work tree counts as not found;
3. then runs the environment's own ``sitecustomize``, if it has one.

It imports nothing from localci (it runs in the project's interpreter). The code is
compiled under a file name in angle brackets, as Python does for code that is no real
file, so coverage.py never measures it as part of the project (it skips such names).
"""

_CODE = r"""
import importlib.machinery
import importlib.util
import os
import sys

_STANDARD = (
    importlib.machinery.BuiltinImporter,
    importlib.machinery.FrozenImporter,
    importlib.machinery.PathFinder,
)


def _inside(path, root):
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return False
    return real == root or real.startswith(root + os.sep)


class _HidingFinder:
    # A meta-path finder that forgets specs located inside the hidden tree.

    def __init__(self, inner, hidden):
        self._inner = inner
        self._hidden = hidden

    def find_spec(self, name, path=None, target=None):
        spec = self._inner.find_spec(name, path, target)
        if spec is None:
            return None
        places = list(spec.submodule_search_locations or ())
        if spec.origin and os.path.isabs(spec.origin):
            places.append(spec.origin)
        return None if any(self._hidden(p) for p in places) else spec

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _hide():
    root_text = os.environ.get("LOCALCI_HIDE")
    if not root_text:
        return
    root = os.path.realpath(root_text)
    prefix = os.path.realpath(sys.prefix)

    def hidden(path):
        return _inside(path, root) and not _inside(path, prefix)

    sys.path[:] = [p for p in sys.path if not (p and hidden(p))]
    sys.meta_path[:] = [
        f if f in _STANDARD or isinstance(f, _STANDARD) else _HidingFinder(f, hidden)
        for f in sys.meta_path
    ]


def _chain():
    here = os.path.dirname(os.path.abspath(__file__))
    if here in sys.path:
        sys.path.remove(here)
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_hide()
_chain()
"""

_NAMES = {"__file__": __file__, "__name__": __name__}
exec(compile(_CODE, "<localci: hide the work tree>", "exec"), _NAMES)  # noqa: S102
