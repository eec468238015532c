"""ARNs in this stack's account and Region, and how cdk-nag names a wildcard finding on them.

cdk-nag 3 reports one finding per wildcard resource, named after the resource as the template holds
it: a pseudo parameter such as ``{"Ref": "AWS::Region"}`` is printed ``<AWS::Region>``, a literal as
itself. Acknowledgments only match the exact ID, so `StackArn` keeps both forms of one ARN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnResource, Stack

from .per_stack import StackFacts

IAM_WILDCARD_RULE = "AwsSolutions-IAM5"
AWS_MANAGED_POLICY_RULE = "AwsSolutions-IAM4"


@dataclass(frozen=True)
class StackArn:
    """One ARN: ``arn`` for the template, ``shown`` as cdk-nag prints it."""

    arn: str
    shown: str

    @property
    def wildcard_finding(self) -> str:
        """The ID of cdk-nag's IAM5 finding for this ARN as a policy resource."""
        return wildcard_finding(self.shown)

    def with_suffix(self, suffix: str) -> StackArn:
        """This ARN with ``suffix`` appended, e.g. ``:log-stream:*``."""
        return StackArn(arn=self.arn + suffix, shown=self.shown + suffix)


def stack_arn(facts: StackFacts, service: str, resource: str) -> StackArn:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` in the stack ``facts`` describe."""
    values = {"partition": facts.partition, "region": facts.region, "account": facts.account}
    pattern = f"arn:{{partition}}:{service}:{{region}}:{{account}}:{resource}"
    return StackArn(arn=pattern.format(**values), shown=pattern.format(**facts.shown))


def wildcard_finding(shown_resource: str) -> str:
    """The ID of cdk-nag's IAM5 finding for a wildcard resource as cdk-nag prints it (e.g. ``*``)."""
    return f"{IAM_WILDCARD_RULE}[Resource::{shown_resource}]"


def managed_policy_finding(shown_policy_arn: str) -> str:
    """The ID of cdk-nag's IAM4 finding for an AWS managed policy attached to a role, as cdk-nag prints its ARN."""
    return f"{AWS_MANAGED_POLICY_RULE}[Policy::{shown_policy_arn}]"


def shown(resolved: Any) -> str:
    """A resolved template value as cdk-nag prints it: ``{"Fn::GetAtt": [id, "Arn"]}`` -> ``<id.Arn>``."""
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and len(resolved) == 1:
        [(function, argument)] = resolved.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{'.'.join(argument)}>"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(shown(part) for part in parts)
    raise ValueError(f"cdk-nag's rendering of {resolved!r} is not known")


def wildcard_findings(policy: CfnResource, document: Any) -> list[str]:
    """cdk-nag's IAM5 finding IDs for the wildcard resources of ``document`` (a policy of ``policy``'s stack)."""
    resolved = Stack.of(policy).resolve(document)
    resources = [
        resource
        for statement in resolved["Statement"]
        for resource in _as_list(statement.get("Resource", []))
        if "*" in json.dumps(resource)
    ]
    return sorted({wildcard_finding(shown(resource)) for resource in resources})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
