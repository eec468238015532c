"""The README's Python examples run as written; a text block after one is its exact output."""

import contextlib
import io
import re

import pytest

from tests.support import ROOT

BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def examples():
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    found = []
    for index, (language, code) in enumerate(blocks):
        if language == "python":
            following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
            found.append((code, following[1] if following[0] == "text" else None))
    return found


def test_the_readme_has_examples():
    assert len(examples()) >= 3


@pytest.mark.parametrize(("code", "expected_output"), examples(), ids=lambda value: str(value)[:20])
def test_readme_example_runs_as_written(monkeypatch, code, expected_output):
    monkeypatch.chdir(ROOT)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    if expected_output is not None:
        assert printed.getvalue() == expected_output
