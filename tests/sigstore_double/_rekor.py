"""The Rekor (v1 API) double: an RFC 6962 Merkle log of dsse and hashedrekord entries.

Entries are stored the way Rekor stores them (pkg/types/dsse/v0.0.1/entry.go,
``Canonicalize``): the canonical JSON body keeps the payload and envelope hashes and the
signatures with their verifiers, never the client's proposed content. Each response carries
an inclusion proof against a signed checkpoint (transparency-dev signed note) and a signed
entry timestamp over ``{body, integratedTime, logID, logIndex}`` (RFC 8785), which is what
sigstore-python 4.5.1 checks offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from ._pki import key_id

__all__ = ["RekorLog", "inclusion_path", "leaf_hash", "tree_root"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 §2.1: MTH of one entry is sha256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (RFC 6962 §2.1's k)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes (RFC 6962 §2.1); ``leaves`` is not empty."""
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(tree_root(leaves[:k]), tree_root(leaves[k:]))


def inclusion_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 6962 §2.1.1), lowest level first, as the verifier expects."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_path(index, leaves[:k]), tree_root(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), tree_root(leaves[:k])]


def _pem_verifier(b64_pem: str) -> tuple[ec.EllipticCurvePublicKey, str]:
    """The EC key in a base64 PEM certificate, and the canonical base64 PEM Rekor stores."""
    cert = x509.load_pem_x509_certificate(base64.b64decode(b64_pem))
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("only ECDSA signing certificates are supported")
    return key, _b64(cert.public_bytes(serialization.Encoding.PEM))


def _dsse_body(spec: dict[str, Any]) -> dict[str, Any]:
    proposed = spec["proposedContent"]
    envelope = json.loads(proposed["envelope"])
    payload = base64.b64decode(envelope["payload"])
    ptype = envelope["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
    verifiers = [_pem_verifier(v) for v in proposed["verifiers"]]
    signatures = []
    for item in envelope["signatures"]:
        sig = base64.b64decode(item["sig"])
        for key, pem in verifiers:
            try:
                key.verify(sig, pae, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                continue
            signatures.append({"signature": _b64(sig), "verifier": pem})
            break
        else:
            raise ValueError("all signatures must have a key that verifies it")
    return {
        "envelopeHash": {
            "algorithm": "sha256",
            "value": hashlib.sha256(proposed["envelope"].encode()).hexdigest(),
        },
        "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
        "signatures": sorted(signatures, key=lambda s: s["signature"]),
    }


def _hashedrekord_body(spec: dict[str, Any]) -> dict[str, Any]:
    digest = spec["data"]["hash"]
    if digest["algorithm"] != "sha256":
        raise ValueError("only sha256 hashedrekord entries are supported")
    key, pem = _pem_verifier(spec["signature"]["publicKey"]["content"])
    sig = base64.b64decode(spec["signature"]["content"])
    prehashed = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
    try:
        key.verify(sig, bytes.fromhex(digest["value"]), prehashed)
    except InvalidSignature:
        raise ValueError("signature does not verify against the hash") from None
    return {
        "data": {"hash": {"algorithm": "sha256", "value": digest["value"]}},
        "signature": {"content": _b64(sig), "publicKey": {"content": pem}},
    }


class RekorLog:
    """An append-only log; :meth:`add` is thread-safe."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.log_id = key_id(self.key.public_key())
        self.origin = f"localci.double - {secrets.randbits(63)}"
        self.leaves: list[bytes] = []
        self._lock = threading.Lock()

    def add(self, proposed: dict[str, Any]) -> dict[str, Any]:
        """Integrate a proposed entry; returns Rekor's ``{uuid: LogEntry}`` response.

        :raises ValueError, KeyError, TypeError: a malformed entry or a bad signature.
        """
        kind, version = proposed["kind"], proposed["apiVersion"]
        builders = {"dsse": _dsse_body, "hashedrekord": _hashedrekord_body}
        if kind not in builders or version != "0.0.1":
            raise ValueError(f"unsupported entry type {kind}/{version}")
        body = {"apiVersion": "0.0.1", "kind": kind, "spec": builders[kind](proposed["spec"])}
        canonical = rfc8785.dumps(body)
        with self._lock:
            index = len(self.leaves)
            self.leaves.append(leaf_hash(canonical))
            leaves = list(self.leaves)
        root = tree_root(leaves)
        integrated = int(time.time())
        entry: dict[str, Any] = {
            "body": _b64(canonical),
            "integratedTime": integrated,
            "logID": self.log_id.hex(),
            "logIndex": index,
        }
        promise = self._sign(rfc8785.dumps(entry))
        entry["verification"] = {
            "inclusionProof": {
                "logIndex": index,
                "treeSize": len(leaves),
                "rootHash": root.hex(),
                "hashes": [h.hex() for h in inclusion_path(index, leaves)],
                "checkpoint": self._checkpoint(len(leaves), root),
            },
            "signedEntryTimestamp": _b64(promise),
        }
        return {leaf_hash(canonical).hex(): entry}

    def _sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def _checkpoint(self, size: int, root: bytes) -> str:
        """A signed note: ``origin\\nsize\\nb64(root)\\n...`` then ``— name b64(hint||sig)``."""
        note = f"{self.origin}\n{size}\n{_b64(root)}\nTimestamp: {time.time_ns()}\n"
        signature = self.log_id[:4] + self._sign(note.encode())
        return f"{note}\n\u2014 localci.double {_b64(signature)}\n"
