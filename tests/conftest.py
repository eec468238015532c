"""Shared test set-up: quiet jsii on Node 20 before aws_cdk loads; handler modules importable; a fresh stack.

Nothing here imports aws_cdk: tests that never build a construct (the handlers') start without the CDK's
Node.js runtime.
"""

import os
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
ROOT = Path(__file__).resolve().parent.parent

# As Lambda runs the handlers: each asset folder is the root.
sys.path.insert(0, str(ROOT / "lambda" / "smoke_test"))
sys.path.insert(0, str(ROOT / "lambda" / "scaling_guard"))
sys.path.insert(0, str(ROOT / "lambda" / "model_registry"))


@pytest.fixture
def stack() -> Any:
    """A fresh stack in a new app (an aws_cdk Stack)."""
    from tests.support import new_stack

    return new_stack()


# Test files with module fixtures (they synthesize an app, run the CDK CLI or build a wheel). Under xdist
# (`--dist loadscope`, as make test runs it) each of them runs whole on one worker, so its fixtures are built once
# and never twice at the same time; every other test is a unit of its own.
WHOLE_FILES = frozenset(
    str(path.relative_to(ROOT))
    for path in ROOT.glob("tests/**/test_*.py")
    if '@pytest.fixture(scope="module")' in path.read_text()
)


def scheduling_unit(nodeid: str) -> str:
    """What xdist sends to one worker together: the whole file for `WHOLE_FILES`, else the test alone."""
    path = nodeid.split("::", 1)[0]
    return path if path in WHOLE_FILES else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` with `scheduling_unit` as the scope (largest units first)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FixtureScopeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scheduling_unit(nodeid)

    return FixtureScopeScheduling(config, log)
