"""One sample per secret format localci must mask, built at run time (no token-like
literal sits in the repository). ``SAMPLES`` maps a format name to ``(text, secret)``:
``text`` is how the secret appears in output, ``secret`` the part that must not survive."""

from __future__ import annotations

_A = "Q7x" * 30  # alphanumeric filler
_B = "Zr4" * 30  # another, for the private key's body


def _gh(prefix: str) -> str:
    return prefix + "_" + _A[:36]


def _private_key() -> str:
    body = "\n".join(["MIIEow" + _B[:58]] * 3)
    kind = "RSA PRIVATE" + " KEY"
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


SAMPLES: dict[str, tuple[str, str]] = {
    "github-classic": (f"token is {_gh('ghp')} here", _gh("ghp")),
    "github-fine-grained": (
        "using github_pat_" + "11AB" + _A[:40],
        "github_pat_" + "11AB" + _A[:40],
    ),
    "github-glued": (f"prefix_{_gh('ghs')}", _gh("ghs")[4:]),
    "jwt": (
        "Bearer eyJhbGciOi"
        + "JSUzI1NiJ9."
        + "eyJzdWIiOiIx"
        + "MjM0In0."
        + "c2lnbmF0dXJl"
        + _A[:20],
        "eyJzdWIiOiIx" + "MjM0In0",
    ),
    "aws-access-key": ("id=AKIA" + "IOSFODNN7EXAMPL" + "Q done", "AKIA" + "IOSFODNN7EXAMPL" + "Q"),
    "aws-secret-key": (
        'aws_secret_access_key = "' + ("wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY") + '"',
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
    ),
    "private-key": (_private_key(), "MIIEow" + _B[:58]),
    "pypi": (
        "password: pypi-" + "AgEIcHlwaS5vcmc" + _A[:72],
        "AgEIcHlwaS5vcmc" + _A[:72],
    ),
    "npm": (
        "//registry.npmjs.org/:_authToken=npm_" + _A[:36],
        "npm_" + _A[:36],
    ),
    "slack": (
        "hook xoxb-" + "1234567890-" + "0987654321-" + "abcdefghij" + _A[:14].lower(),
        "abcdefghij" + _A[:14].lower(),
    ),
    "gitlab": ("GITLAB glpat-" + _A[:20] + " end", "glpat-" + _A[:20]),
    "url-credentials": (
        "cloning https://alice:" + "s3cr3tPassw0rd" + "@example.com/r.git",
        "s3cr3tPassw0rd",
    ),
}
