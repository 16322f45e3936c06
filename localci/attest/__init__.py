"""Attestations: in-toto Statements signed with Sigstore, and the stored bundles."""
