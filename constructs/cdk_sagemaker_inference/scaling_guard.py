"""Instance-type changes of an autoscaled variant in one deploy, safe when the deploy fails.

SageMaker refuses to update an endpoint while a variant whose instance type changes is registered with
Application Auto Scaling. Per autoscaled instance variant, two custom resources of the stack's one
`ScalingGuardProvider` (``lambda/scaling_guard``) keep the registration what the template in force declares,
whichever way the deploy ends:

- the *guard* (the endpoint depends on it; its ``InstanceType`` property follows the variant) deregisters
  the variant before the endpoint update, and on CloudFormation's rollback either deregisters again (the
  endpoint returns to the old type next) or registers the old scaling at once (the endpoint never left it);
- the *restore* resource (one per instance type, created after the guard and before the endpoint update)
  holds the scaling the old template declared; when CloudFormation deletes it while cleaning up a rollback,
  after the endpoint is back on the old type, it registers that scaling again.

The scalable targets carry the instance type in their construct ID (a new target registers after the update)
and are retained: deleting the old one would deregister the new registration of the same variant. Each is
tagged with the stack's name, which scopes the handler's Application Auto Scaling permissions.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from constructs import Construct

from . import per_stack, rules, validation
from .deploy_time_provider import DeployTimeProvider, HandlerSpec
from .errors import Problems, ValidationError
from .nag import StackArn, acknowledge_nag_findings, collapsed, stack_arn, wildcard_findings

GUARD_TYPE = "Custom::SageMakerScalingGuard"
RESTORE_TYPE = "Custom::SageMakerScalingRestore"
WILDCARD_REASON = (
    "scalable-target ARNs hold IDs Application Auto Scaling assigns at registration, so the targets are chosen by "
    "this stack's tag; endpoint configs and step-scaling alarms are named by CloudFormation at deploy time (the "
    "alarms under this stack's name prefix); DescribeAlarms lists by name prefix"
)
MAX_LISTED_ENDPOINTS = 6  # then by prefix: 25 endpoint ARNs alone take about 2,500 of IAM's 6,144 characters
ENDPOINT_PREFIX_REASON = (
    f"DescribeEndpoint only reads an endpoint's config and status; past {MAX_LISTED_ENDPOINTS} guarded endpoints "
    "in a stack they are named by their names' common prefix, which keeps the policy within IAM's size quota"
)
MAX_REGISTRATION_BYTES = 3500  # of a guard's response (CloudFormation takes 4,096), the rest for its framing
STACK_TAG = "cdk-sagemaker-inference:stack"
"""The tag on every scalable target a guarded variant registers: its stack's name."""
TARGET_FIELDS = ("MinCapacity", "MaxCapacity", "ScheduledActions", "SuspendedState")
POLICY_FIELDS = (
    "PolicyName",
    "PolicyType",
    "StepScalingPolicyConfiguration",
    "TargetTrackingScalingPolicyConfiguration",
)


class ScalingGuardProvider(DeployTimeProvider):
    """Runs the scaling guards of a stack (one function, no polling); get it with `ScalingGuardProvider.of`.

    Its role may deregister and register only the scalable targets tagged with this stack's name, read the
    stack's status, the stack's endpoints and configs, and point the step-scaling alarms of guarded variants
    at their policies.
    """

    PROVIDER_ID = "SageMakerScalingGuardProvider"

    SPEC = HandlerSpec(
        module="guard_handler",
        handler="scaling_guard",
        description="SageMaker autoscaled variant guard",
        calls="Application Auto Scaling, SageMaker, CloudWatch, CloudFormation",
        logs="variant resource IDs, instance types and request types, all already in the template",
        on_event_timeout=Duration.minutes(2),
    )

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        facts = per_stack.facts(self)
        targets = stack_arn(facts, "application-autoscaling", "scalable-target/*").arn
        stack_name = Stack.of(self).stack_name
        self.policy.allow(
            [
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:PutScheduledAction",
            ],
            [targets],
            {"StringEquals": {f"aws:ResourceTag/{STACK_TAG}": stack_name}},
        )
        self.policy.allow(
            ["application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"],
            [targets],
            {"StringEquals": {f"aws:RequestTag/{STACK_TAG}": stack_name}},
        )
        configs = stack_arn(facts, "sagemaker", "endpoint-config/*").arn
        self.policy.allow(["sagemaker:DescribeEndpointConfig"], [configs])
        # A guard's Delete asks whether the stack still declares the variant's scalable target.
        self.policy.allow(["cloudformation:DescribeStackResource"], [Stack.of(self).stack_id])
        # A re-created step policy has a new ARN: the stack's alarms that called the old one (CloudFormation names
        # them <stack name>-<logical ID>-<suffix>) must call the new one.
        self.policy.allow(["cloudwatch:DescribeAlarms"], [stack_arn(facts, "cloudwatch", "alarm:*").arn])
        self.policy.allow(
            ["cloudwatch:PutMetricAlarm"], [stack_arn(facts, "cloudwatch", "alarm:").arn + f"{stack_name}-*"]
        )
        findings = wildcard_findings(self.policy.policy, {"Statement": self.policy.statements})
        acknowledge_nag_findings(self.policy.policy, dict.fromkeys(findings, WILDCARD_REASON))
        self._endpoints: list[StackArn] = []
        self.policy.allow(["sagemaker:DescribeEndpoint"], lambda: [arn.arn for arn in self._endpoint_arns()])
        per_stack.at_validation(Stack.of(self), self._acknowledge_endpoint_prefix)

    def describe_endpoint(self, endpoint_name: str) -> None:
        """Let the guards read ``endpoint_name``'s endpoint (its live instance type); past
        `MAX_LISTED_ENDPOINTS` endpoints, by their names' common prefix."""
        arn = stack_arn(per_stack.facts(self), "sagemaker", f"endpoint/{validation.arn_name(endpoint_name)}")
        if arn not in self._endpoints:
            self._endpoints.append(arn)

    def _endpoint_arns(self) -> list[StackArn]:
        return collapsed(self._endpoints, MAX_LISTED_ENDPOINTS)

    def _acknowledge_endpoint_prefix(self) -> None:
        prefixes = {arn.wildcard_finding: ENDPOINT_PREFIX_REASON for arn in self._endpoint_arns() if "*" in arn.shown}
        if prefixes:
            acknowledge_nag_findings(self.policy.policy, prefixes)


def guard_instance_type_changes(
    scalable: appscaling.BaseScalableAttribute,
    *,
    scope: Construct,
    endpoint_resource: CfnResource,
    endpoint_name: str,
    variant_name: str,
    resource_id: str,
    dimension: str,
    instance_type: str,
) -> CfnResource:
    """Guard ``scalable`` (a variant's instance count) across changes of ``instance_type``; returns the guard.

    The guard and the restore resource are children of ``scope`` (the endpoint), which ``endpoint_resource``
    waits for. The declared registration (target, policies) is read from ``scalable`` when the
    app synthesizes, after every policy was added.
    """
    provider = ScalingGuardProvider.of(scope)
    # By name, not the endpoint's Ref: the endpoint waits for these resources, so their policy cannot wait for it.
    provider.describe_endpoint(endpoint_name)
    stack = Stack.of(scope)
    common = {
        "ResourceId": resource_id,
        "ScalableDimension": dimension,
        "EndpointName": endpoint_name,
        "VariantName": variant_name,
        "InstanceType": instance_type,
        "StackName": stack.stack_name,
        "Tags": {STACK_TAG: stack.stack_name},
    }
    # Plain resources of the custom types (what aws-cdk-lib's CustomResource renders, without its wrapper's calls
    # into the runtime), under the same construct paths and so the same logical IDs.
    token = provider.service_token
    targets = [child for child in scalable.node.find_all() if isinstance(child, appscaling.CfnScalableTarget)]
    guard = CfnResource(
        scope,
        f"{variant_name}ScalingGuard",
        type=GUARD_TYPE,
        # Its Delete leaves the variant registered while the stack still declares this target.
        properties={"ServiceToken": token, **common, "Role": "Guard", "TargetLogicalId": targets[0].logical_id},
    )
    digest = hashlib.sha256(instance_type.encode()).hexdigest()[:8].upper()
    restore = CfnResource(
        scope,
        f"{variant_name}ScalingRestore{digest}",
        type=RESTORE_TYPE,
        properties={"ServiceToken": token, **common, "Role": "Restore", "Previous": guard.get_att("Previous")},
    )
    for resource in (guard, restore):
        resource.apply_removal_policy(RemovalPolicy.DESTROY)
    endpoint_resource.node.add_dependency(restore)
    for target in targets:
        target.apply_removal_policy(RemovalPolicy.RETAIN)
        target.add_property_override("Tags", [{"Key": STACK_TAG, "Value": stack.stack_name}])

    def declare() -> list[ValidationError]:
        registration = declared_registration(scalable)
        guard.add_property_override("Registration", registration)
        size = len(json.dumps(stack.resolve(registration), separators=(",", ":")))
        if size <= MAX_REGISTRATION_BYTES:
            return []
        problems = Problems()
        problems.add(
            rules.SCALING_GUARD_SIZE,
            "scaling policies",
            f"{size} bytes of declared scaling",
            f"at most {MAX_REGISTRATION_BYTES} bytes: the guard hands it on in its response, of which CloudFormation "
            "takes 4,096 bytes",
            "use fewer scaling policies or scheduled actions on this variant",
        )
        return [ValidationError(scalable.node.path, problems.items)]

    per_stack.at_validation(stack, declare)
    return guard


def declared_registration(scalable: Construct) -> dict[str, Any]:
    """What ``scalable``'s template declares, as the handler registers it again: the target's `TARGET_FIELDS`
    and each policy's `POLICY_FIELDS` (no references: the guard's properties cannot wait for the target)."""
    children = scalable.node.find_all()
    [target] = [_rendered(child) for child in children if isinstance(child, appscaling.CfnScalableTarget)]
    policies = [_rendered(child) for child in children if isinstance(child, appscaling.CfnScalingPolicy)]
    return {
        "Target": {k: target[k] for k in TARGET_FIELDS if target.get(k) not in (None, [])},
        "Policies": [{k: policy[k] for k in POLICY_FIELDS if k in policy} for policy in policies],
    }


def _rendered(resource: Any) -> dict[str, Any]:
    """An L1 resource's properties as the template holds them."""
    rendered: dict[str, Any] = resource._render_properties(Stack.of(resource).resolve(resource._cfn_properties))
    return rendered
