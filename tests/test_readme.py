"""The README's Python examples run as written; a text block after one is its exact output.

A block whose first line is ``# test_<name>.py`` is a test file for the reader's own project: it is run
by pytest in a fresh folder, twice (the first run writes its snapshots, the second must match them).
"""

import contextlib
import functools
import io
import os
import re
import subprocess
import sys
from typing import Any

import aws_cdk
import pytest

from tests.support import ROOT

TEST_FILE = re.compile(r"# (test_\w+\.py)\n")

BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


# The hundred endpoints of "A hundred endpoints": tests/unit/test_endpoint_stacks.py runs that example and checks the
# stacks it writes, so it is built once.
HUNDRED_ENDPOINTS = "for index in range(100):"


def examples():
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    found = []
    for index, (language, code) in enumerate(blocks):
        if language == "python" and not TEST_FILE.match(code):
            following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
            found.append((code, following[1] if following[0] == "text" else None))
    return found


def run_example(code: str) -> dict[str, Any]:
    """Runs ``code`` as written from the repository root, with aws-cdk-lib's built-in schema check off as in the
    unit tests (4 s to load in each process; cfn-lint checks what the constructs write); returns its globals."""
    namespace = {"__name__": "__readme__"}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        patch.setattr(aws_cdk, "App", functools.partial(aws_cdk.App, builtin_cloud_formation_validation=False))
        exec(compile(code, "README.md", "exec"), namespace)
    return namespace


def test_the_readme_has_examples():
    assert len(examples()) >= 3


def readme_test_files():
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    return [
        (TEST_FILE.match(code)[1], code) for language, code in blocks if language == "python" and TEST_FILE.match(code)
    ]


@pytest.mark.parametrize(("name", "code"), readme_test_files(), ids=lambda value: str(value)[:30])
def test_readme_test_file_passes_and_matches_its_own_snapshot(tmp_path, name, code):
    (tmp_path / name).write_text(code)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name]
    # Not as an xdist worker: syrupy stays quiet in one, and the reader's pytest runs on its own.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_XDIST")}
    run = {"cwd": tmp_path, "env": env, "capture_output": True, "text": True, "timeout": 300}
    first = subprocess.run([*command, "--snapshot-update"], **run)
    assert first.returncode == 0, first.stdout + first.stderr
    second = subprocess.run(command, **run)
    assert second.returncode == 0 and "1 snapshot passed" in second.stdout, second.stdout + second.stderr


def test_the_readme_has_a_snapshot_test_example():
    assert readme_test_files()


@pytest.mark.parametrize(
    ("code", "expected_output"),
    [(code, output) for code, output in examples() if HUNDRED_ENDPOINTS not in code],
    ids=lambda value: str(value)[:20],
)
def test_readme_example_runs_as_written(code, expected_output):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        run_example(code)
    if expected_output is not None:
        assert printed.getvalue() == expected_output
