"""localci.publish.attestations: picking a result out of the attestation store's answer."""

from __future__ import annotations

import base64
import json
from typing import Any

from localci.attest.statements import PREDICATE_TYPE
from localci.attest.test_result import TEST_RESULT_PREDICATE_TYPE
from localci.attest.vsa import VSA_PREDICATE_TYPE
from localci.publish.attestations import note_from_bundles, statement_of

COMMIT = "a" * 40
SUBJECTS = [{"name": f"git+local@{COMMIT}", "digest": {"sha256": "1" * 64}}]


def bundle(predicate_type: str, predicate: Any, subjects: Any = SUBJECTS) -> dict[str, Any]:
    statement = {"_type": "https://in-toto.io/Statement/v1", "subject": subjects}
    statement |= {"predicateType": predicate_type, "predicate": predicate}
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return {"dsseEnvelope": {"payloadType": "application/vnd.in-toto+json", "payload": payload}}


def test_the_newest_result_for_the_commit_with_its_test_result() -> None:
    newest = bundle(PREDICATE_TYPE, {"git": {"commit": COMMIT}, "run_id": "new"})
    older = bundle(PREDICATE_TYPE, {"git": {"commit": COMMIT}, "run_id": "old"})
    tests = bundle(TEST_RESULT_PREDICATE_TYPE, {"result": "PASSED"})
    other_tests = bundle(TEST_RESULT_PREDICATE_TYPE, {"result": "FAILED"}, subjects=[])
    vsa = bundle(VSA_PREDICATE_TYPE, {"verificationResult": "PASSED"})
    note = note_from_bundles(COMMIT, [vsa, other_tests, newest, tests, older])
    assert note is not None
    assert note.document == {"git": {"commit": COMMIT}, "run_id": "new"}
    assert note.bundle == newest
    assert note.test_result_bundle == tests


def test_results_for_other_commits_and_junk_are_skipped() -> None:
    other = bundle(PREDICATE_TYPE, {"git": {"commit": "b" * 40}})
    junk = [{}, {"dsseEnvelope": {"payload": "%%%"}}, {"dsseEnvelope": {"payload": "WzFd"}}]
    assert note_from_bundles(COMMIT, [other, *junk]) is None
    assert statement_of({"dsseEnvelope": {"payload": "WzFd"}}) is None  # "[1]"
