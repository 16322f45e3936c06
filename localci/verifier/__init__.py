"""Verification: re-checking a result under a policy, and the merge gate."""
