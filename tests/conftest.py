"""Shared test set-up: quiet jsii on Node 20 before aws_cdk loads; a fresh stack per test."""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest
from aws_cdk import Stack

from tests.support import new_stack


@pytest.fixture
def stack() -> Stack:
    return new_stack()
