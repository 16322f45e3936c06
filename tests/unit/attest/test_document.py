"""localci.attest.document: signing a stored result writes both bundles beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localci.attest.document import sign_document
from localci.attest.signing import SigningOptions, verify_bundle
from localci.result.codec import result_to_dict
from localci.result.digest import canonical_json, sha256_hex
from tests.factories import SHA, make_result, make_stage
from tests.sigstore_double import SigstoreDouble

pytestmark = pytest.mark.usefixtures("sigstore_home")


def test_an_indented_result_is_rewritten_canonically_then_signed_twice(
    tmp_path: Path, sigstore_double: SigstoreDouble
) -> None:
    doc = result_to_dict(make_result(make_stage("build")))
    path = tmp_path / f"{SHA}.json"
    path.write_text(json.dumps(doc, indent=2) + "\n")  # as localci 0.1.0 wrote it
    options = SigningOptions(
        identity_token=sigstore_double.mint_token("dev@example.com"),
        trust_config=sigstore_double.trust_config_path,
    )
    outcome = sign_document(path, options)
    assert path.read_bytes() == canonical_json(doc)
    assert outcome.bundle_path == tmp_path / f"{SHA}.sigstore.json"
    assert outcome.test_result_bundle_path == tmp_path / f"{SHA}.test-result.sigstore.json"
    signed = [
        verify_bundle(p.read_text(), trust_config=sigstore_double.trust_config_path, staging=False)
        for p in (outcome.bundle_path, outcome.test_result_bundle_path)
    ]
    assert {s.certificate_sha256 for s in signed} == {signed[0].certificate_sha256}
    for verified in signed:
        assert verified.statement["subject"][0]["digest"] == {"sha256": sha256_hex(doc)}
