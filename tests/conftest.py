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
