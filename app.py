#!/usr/bin/env python3
"""The sample app: `npx cdk synth` (or `make synth`) reads the config once and defines the stacks.

Choose another config file with ``-c config=path/to/config.json`` (format: stacks/app_config.py).
Stacks are environment-agnostic unless the config's ``env`` names an account and Region.
"""

import os
from pathlib import Path

# The CDK's jsii kernel runs on the machine's Node.js; on Node 20 it prints an end-of-life banner (README, "Toolchain").
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App  # after the environment the jsii kernel reads at start

from stacks.app_config import DEFAULT_CONFIG, load_config
from stacks.sample_app import define_sample_app

app = App()
define_sample_app(app, load_config(Path(app.node.try_get_context("config") or DEFAULT_CONFIG)))
app.synth()
