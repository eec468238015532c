"""CloudFormation's stack quotas: at most 500 resources and 1 MB of template per stack. A stack over either fails
the synth with how to split it, instead of failing its deploy: the resources are counted when the stack validates
(before aws-cdk-lib's own count, which says nothing of how to split), the template's bytes once it is written, by
a validation plugin the library registers once per app (or stage) in which it defines something.
"""

from __future__ import annotations

import json
import weakref
from pathlib import Path

import jsii
from aws_cdk import (
    CfnResource,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
    Stage,
    Validations,
)
from constructs import IConstruct

from . import rules
from .errors import Problems, ValidationError

MAX_RESOURCES = 500
"""CloudFormation's quota of resources per stack."""
MAX_TEMPLATE_BYTES = 1_048_576
"""CloudFormation's quota on a template uploaded to S3 (the CDK uploads every template there)."""
PLUGIN_NAME = "cdk-sagemaker-inference"
RULE = rules.STACK_BUDGET.id
SPLIT = (
    "spread the endpoints over stacks of about 25 fully featured endpoints each (EndpointStacks), and add one "
    "EndpointDashboard per stack with add_endpoint instead of one per endpoint (README: 'A hundred endpoints')"
)


@jsii.implements(IPolicyValidationPlugin)
class StackBudgets:
    """A CDK validation plugin: every synthesized template within `MAX_TEMPLATE_BYTES` (the finding names the
    template's largest resource).
    Acknowledge a stack's finding with ``Validations.of(stack).acknowledge`` (ID ``cdk-sagemaker-inference::
    StackBudget``) only if the stack is deployed some other way."""

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return "1"

    @property
    def rule_ids(self) -> list[str]:
        return [RULE]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations = []
        for path in context.template_paths:
            size = Path(path).stat().st_size
            if size > MAX_TEMPLATE_BYTES:
                resources = json.loads(Path(path).read_text()).get("Resources", {})
                violations.append(
                    PolicyViolation(
                        rule_name=RULE,
                        description=f"{Path(path).name} has {size:,} bytes; CloudFormation allows "
                        f"{MAX_TEMPLATE_BYTES:,}",
                        fix=SPLIT,
                        violating_resources=[
                            PolicyViolatingResource(
                                resource_logical_id=max(
                                    resources, key=lambda name: len(json.dumps(resources[name])), default="Resources"
                                ),
                                template_path=path,
                                locations=["Resources"],
                            )
                        ],
                    )
                )
        return PolicyValidationPluginReport(success=not violations, violations=violations)


_REGISTERED: weakref.WeakSet[Stage] = weakref.WeakSet()


def resource_problems(stack: Stack) -> list[ValidationError]:
    """``stack``'s resources past `MAX_RESOURCES` (those of nested stacks not counted), as an error."""
    found = stack.node.find_all()
    nested = [child for child in found if isinstance(child, Stack) and child is not stack]
    count = sum(isinstance(child, CfnResource) for child in found)
    if nested:  # only then is the owning stack of each resource asked (a call into the runtime per resource)
        count = sum(isinstance(child, CfnResource) and Stack.of(child) is stack for child in found)
    if count <= MAX_RESOURCES:
        return []
    problems = Problems()
    problems.add(rules.STACK_BUDGET, "resources", count, f"at most {MAX_RESOURCES} per stack (CloudFormation)", SPLIT)
    return [ValidationError(stack.node.path, problems.items)]


def register(scope: IConstruct) -> None:
    """Check the template bytes of ``scope``'s app or stage at synth (once per stage)."""
    stage = Stage.of(scope)
    if stage is not None and stage not in _REGISTERED:
        _REGISTERED.add(stage)
        Validations.of(stage).add_plugins(StackBudgets())
