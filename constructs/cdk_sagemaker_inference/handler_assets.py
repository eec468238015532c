"""Where the Lambda handler code lives: ``lambda/`` in the repository, ``cdk_sagemaker_inference/_lambda`` in a wheel.

pyproject maps the package ``cdk_sagemaker_inference._lambda`` to the ``lambda/`` folder, so the same
lookup works for an editable install and for an installed wheel.
"""

from __future__ import annotations

from importlib import resources

from aws_cdk import aws_lambda as lambda_

HANDLER_PACKAGE = "cdk_sagemaker_inference._lambda"
NOT_CODE = ["__pycache__", "*.pyc"]  # left behind when tests import the handlers; not part of the asset


def handler_directory(name: str) -> str:
    """The folder of one handler, e.g. ``smoke_test``."""
    return str(resources.files(HANDLER_PACKAGE) / name)


def handler_code(name: str) -> lambda_.Code:
    """One handler's folder as a Lambda code asset (bytecode caches excluded, so the hash is the source's)."""
    return lambda_.Code.from_asset(handler_directory(name), exclude=NOT_CODE)
