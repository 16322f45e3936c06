"""SignedResult: one typed value for a result, its bundle and where it came from."""

from __future__ import annotations

import pytest

from localci.attest.signed import SignedResult
from localci.errors import UsageError
from localci.result.codec import result_to_dict
from localci.result.digest import sha256_hex
from tests.factories import SHA, make_result


def test_json_round_trip_keeps_the_document_exactly() -> None:
    doc = result_to_dict(make_result())
    signed = SignedResult(document=doc, bundle={"mediaType": "b"}, origin="local")
    back = SignedResult.from_json(signed.to_json(), "notes")
    assert back == signed  # the origin is not part of equality
    assert back is not None
    assert back.origin == "notes"
    assert back.digest == sha256_hex(doc)
    assert back.sha == SHA
    assert back.result.git.commit == SHA
    assert back.bundle_json() == '{"mediaType": "b"}'


@pytest.mark.parametrize("doc", [None, [], {"bundle": {}}, {"result": "x"}])
def test_from_json_refuses_what_has_no_result_object(doc: object) -> None:
    assert SignedResult.from_json(doc, "check_run") is None


def test_an_invalid_document_fails_when_used_and_names_its_origin() -> None:
    signed = SignedResult(document={"conclusion": "success"}, origin="check_run")
    with pytest.raises(UsageError, match="the check_run result is not a valid localci result"):
        _ = signed.result
