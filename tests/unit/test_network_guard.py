"""The suite's network guard: reaching beyond this machine fails the test."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.conftest import InternetAccessError


def test_connecting_to_a_public_address_fails() -> None:
    with socket.socket() as sock, pytest.raises(InternetAccessError, match=r"93\.184\.215\.14"):
        sock.connect(("93.184.215.14", 443))


def test_looking_up_a_public_name_fails() -> None:
    with pytest.raises(InternetAccessError, match=r"fulcio\.sigstore\.dev"):
        urllib.request.urlopen("https://fulcio.sigstore.dev/", timeout=1)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
