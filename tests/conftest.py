"""Shared test set-up: quiet jsii on Node 20 before aws_cdk loads; handler modules importable; a fresh stack."""

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
from tests.support import ROOT

# As Lambda runs the handlers: each asset folder is the root.
sys.path.insert(0, str(ROOT / "lambda" / "smoke_test"))
sys.path.insert(0, str(ROOT / "lambda" / "scaling_guard"))

import pytest
from aws_cdk import Stack

from tests.support import new_stack


@pytest.fixture
def stack() -> Stack:
    return new_stack()
