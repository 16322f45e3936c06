"""Redaction: every format in tests/secret_samples.py, in whole texts, line streams and
the long-line cut of the process layer; terminal control stripped from foreign text."""

from __future__ import annotations

import errno
import io
import os
import sys
from pathlib import Path

import pytest

from localci.errors import environment_error
from localci.proc import TAIL_BYTES, _LineSink, run_process
from localci.redact import MASK, Redactor, printable, redacted_console, remember
from tests.secret_samples import SAMPLES

FORMATS = sorted(SAMPLES)


@pytest.mark.parametrize("name", FORMATS)
def test_each_format_is_masked_in_text(name: str) -> None:
    text, secret = SAMPLES[name]
    out = Redactor(env={})(f"before {text} after")
    assert secret not in out
    assert MASK in out
    assert out.startswith("before ")


@pytest.mark.parametrize("name", FORMATS)
def test_each_format_is_masked_line_by_line(name: str) -> None:
    text, secret = SAMPLES[name]
    stream = Redactor(env={}).lines()
    out = [stream(line) for line in f"before\n{text}\nafter".splitlines()]
    assert all(secret not in line for line in out)
    assert out[0] == "before"
    assert out[-1] == "after"


def test_secret_named_variables_and_remembered_values_are_masked() -> None:
    value = "hunter2" + "-abc"
    remember("tok" + "en-value\r")
    redact = Redactor(env={"DEPLOY_PASSWORD": value, "HOME": "/home/x"})
    assert redact(f"x={value} y=token-value z=/home/x") == f"x={MASK} y={MASK} z=/home/x"


def test_local_paths_become_placeholders() -> None:
    redact = Redactor(env={}, paths={"/tmp/w/r": "{workspace}", "/tmp/w/r/reports": "{reports}"})
    assert redact("see /tmp/w/r/reports/j.xml and /tmp/w/r/a.py") == (
        "see {reports}/j.xml and {workspace}/a.py"
    )


def test_paths_under_the_checkout_become_relative() -> None:
    redact = Redactor(env={}, paths={"/w/r": "{workspace}", "/w/r/": ""})
    assert redact("No source: '/w/r/src/a.py' in /w/r") == "No source: 'src/a.py' in {workspace}"


def test_a_path_is_replaced_only_as_a_whole_component() -> None:
    redact = Redactor(env={}, paths={"/home/u": "~"})
    assert redact("/home/u/x /home/user2/y '/home/u' /home/u") == "~/x /home/user2/y '~' ~"


def test_ordinary_output_is_left_alone() -> None:
    line = "tests/test_x.py::test_y[param-1] PASSED 3a7bd3e2360a3d29eea436fcfb7e44c735d117c4"
    assert Redactor(env={})(line) == line


@pytest.mark.parametrize("name", ["github-classic", "aws-access-key", "gitlab", "pypi"])
def test_a_secret_straddling_the_long_line_cut_is_masked(name: str) -> None:
    """A line longer than 2 * TAIL_BYTES is written in pieces, cut TAIL_BYTES before its
    end; a secret spanning that cut is masked as a whole."""
    text, secret = SAMPLES[name]
    at = text.index(secret) + len(secret) // 2
    pad = TAIL_BYTES - len(text) + at
    line = ("x " * TAIL_BYTES + text + " " * pad).encode()
    assert line[: len(line) - TAIL_BYTES].decode().endswith(text[:at])  # the cut is inside
    log = io.BytesIO()
    sink = _LineSink(log, Redactor(env={}), None)
    sink.feed(line)
    sink.feed(b"\n")
    tail, _ = sink.finish()
    assert secret not in log.getvalue().decode()
    assert MASK in log.getvalue().decode()
    assert secret not in tail


def test_a_real_process_log_and_tail_are_redacted(tmp_path: Path) -> None:
    text, secret = SAMPLES["private-key"]
    log = tmp_path / "stage.log"
    outcome = run_process(
        [sys.executable, "-c", f"print({text!r}); print('done')"],
        cwd=tmp_path,
        env=dict(os.environ),
        log_path=log,
        redact=Redactor(env={}),
    )
    assert secret not in log.read_text()
    assert secret not in outcome.tail
    assert outcome.tail.endswith("done")


def test_printable_strips_terminal_control() -> None:
    osc = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
    text = f"{osc} \x1b[2J\x1b[31mred\x1b[0m\r\x07\x9b1m bidi\u202eevil tab\tnl\n"
    assert printable(text) == "click red bidievil tab\tnl\n"


def test_everything_printed_passes_the_redactor(capsys: pytest.CaptureFixture[str]) -> None:
    """Exception text from requests or PyGithub that carries a credential is printed
    through the same redactor as everything else."""
    token = "sekrit" + "-enterprise-value-99"
    with redacted_console():
        remember(token)
        print(f"requests.exceptions.InvalidHeader: Invalid header value b'token {token}\\r'")
        print(SAMPLES["aws-access-key"][0], file=sys.stderr)
    out, err = capsys.readouterr()
    assert token not in out
    assert MASK in out
    assert SAMPLES["aws-access-key"][1] not in err


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left"),
        (OSError(errno.EFBIG, "File too large"), "allowed size"),
        (OSError(errno.EROFS, "Read-only file system", ".localci/x"), "read-only: .localci/x"),
    ],
)
def test_environment_errors_are_usage_errors(error: OSError, words: str) -> None:
    known = environment_error(error)
    assert known is not None
    assert known.exit_code == 2
    assert words in known.diagnostics()
    assert environment_error(ValueError("a bug")) is None
