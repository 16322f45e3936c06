"""Failure context and PR summaries: what a fixer or a reviewer needs to see, as text.

Layer: above :mod:`localci.publish` (it reads results through ``fetch``) and below
:mod:`localci.verifier` (the gate posts its summaries). Most modules are pure functions
from results to text; :mod:`localci.context.load` is the one that reads.
"""
