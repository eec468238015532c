"""cdk-nag finding IDs for what the library must acknowledge on its own resources.

cdk-nag 3 reports one finding per wildcard resource, named after the resource as the template holds
it: a pseudo parameter such as ``{"Ref": "AWS::Region"}`` is printed ``<AWS::Region>``. Acknowledgments
only match the exact ID, so the ID is computed from the resolved ARN, literal or not.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack

from constructs import IConstruct

IAM_WILDCARD_RULE = "AwsSolutions-IAM5"


def wildcard_finding(scope: IConstruct, resource_arn: str) -> str:
    """The ID of cdk-nag's IAM5 finding for a wildcard ``resource_arn`` in a policy under ``scope``."""
    return f"{IAM_WILDCARD_RULE}[Resource::{_as_nag_text(Stack.of(scope).resolve(resource_arn))}]"


def _as_nag_text(resolved: Any) -> str:
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(_as_nag_text(part) for part in parts)
    raise ValueError(f"cannot name a cdk-nag finding for {resolved!r}")
