"""What the principal that deploys a stack (usually CloudFormation's execution role) needs for this library's
resources in it, derived from the stack's constructs: `deploy_statements`, `grant_deploy`.

It covers what a narrowed deploy role most often lacks, each for the resources this stack holds:

- SageMaker: create, update, describe, tag and delete models, endpoint configs, endpoints (by name) and
  inference components;
- ``iam:PassRole`` on the execution roles, to SageMaker only;
- ``kms:CreateGrant`` and ``kms:DescribeKey`` on the volume and result keys, for AWS resources only (SageMaker
  makes grants to encrypt instance volumes and results);
- Application Auto Scaling: its service-linked role for SageMaker (created on first use), and registering,
  deregistering (CloudFormation's delete of a target) and scaling the stack's targets;
- Secrets Manager: ``GetSecretValue`` on the Hugging Face token secrets of large language models, whose dynamic
  references CloudFormation resolves as the deploying principal;
- CloudWatch: the stack's alarms (CloudFormation names them ``<stack name>-*``) and ``DescribeAlarms`` on the
  rollback alarms, which SageMaker checks as the caller of UpdateEndpoint.

CloudFormation's own rights (Lambda functions, roles, buckets, log groups of the deploy-time providers and the
rest of the app) are the bootstrap's concern and not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from . import per_stack, validation
from .errors import Problems, ValidationError
from .nag import stack_arn

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

    from .endpoint_config import EndpointConfig

SAGEMAKER_ACTIONS = {
    "model": ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel"],
    "endpoint-config": [
        "sagemaker:CreateEndpointConfig",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:DeleteEndpointConfig",
    ],
    "endpoint": [
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DeleteEndpoint",
    ],
    "inference-component": [
        "sagemaker:CreateInferenceComponent",
        "sagemaker:UpdateInferenceComponent",
        "sagemaker:DescribeInferenceComponent",
        "sagemaker:DeleteInferenceComponent",
    ],
}
TAG_ACTIONS = ["sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags"]
SCALING_ACTIONS = [
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:PutScheduledAction",
    "application-autoscaling:DeleteScheduledAction",
    "application-autoscaling:TagResource",
]
SCALING_READS = [
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:DescribeScheduledActions",
]
SCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"


def deploy_statements(stack: Stack) -> list[iam.PolicyStatement]:
    """The statements the principal deploying ``stack`` needs for this library's resources (see the module).

    Call it once the stack holds everything (after every ``add_*()``); it adds nothing to the stack.
    """
    validation.check_arguments("deploy_statements", [("stack", stack, Stack, "Stack.of(endpoint)")])
    from .endpoint import Endpoint
    from .endpoint_config import EndpointConfig
    from .execution_role import ExecutionRole
    from .inference_component import InferenceComponent
    from .model import Model
    from .scaling import ScalableCapacity

    facts = per_stack.facts(stack)
    found = stack.node.find_all()
    endpoints = [c for c in found if isinstance(c, Endpoint)]
    configs = [c for c in found if isinstance(c, EndpointConfig)]
    components = [c for c in found if isinstance(c, InferenceComponent)]
    roles = _unique(c.role_arn for c in found if isinstance(c, ExecutionRole))
    if not (endpoints or configs or roles):
        return []
    names = {
        "model": ["*"],
        "endpoint-config": ["*"],  # CloudFormation names models and configs (they are never given fixed names)
        "endpoint": _unique(validation.arn_name(e.endpoint_name) for e in endpoints),
        "inference-component": _unique(validation.arn_name(c.inference_component_name) for c in components),
    }
    statements = []
    for kind, actions in SAGEMAKER_ACTIONS.items():
        arns = [stack_arn(facts, "sagemaker", f"{kind}/{name}").arn for name in names[kind]]
        if arns:
            statements.append(iam.PolicyStatement(actions=[*actions, *TAG_ACTIONS], resources=arns))
    if roles:
        statements.append(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=roles,
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
    keys = _unique(key.key_arn for key in _keys(configs))
    if keys:
        statements.append(
            iam.PolicyStatement(
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=keys,
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
    tokens = [c.llm.hf_token for c in found if isinstance(c, Model) and c.llm is not None and c.llm.hf_token]
    secrets = _unique(token.secret_arn for token in tokens if token is not None)
    if secrets:  # CloudFormation resolves the token's dynamic reference as the deploying principal
        statements.append(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=secrets))
    if any(isinstance(c, ScalableCapacity) for c in found):
        statements += _scaling_statements(facts)
    alarms = _unique(alarm.alarm_arn for endpoint in endpoints for alarm in endpoint.rollback_alarms)
    statements.append(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
            resources=[stack_arn(facts, "cloudwatch", f"alarm:{stack.stack_name}-*").arn],
        )
    )
    if alarms:  # SageMaker checks the caller of UpdateEndpoint may read the rollback alarms
        statements.append(iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=alarms))
    return statements


def grant_deploy(stack: Stack, principal: iam.IGrantable) -> iam.Grant:
    """Give ``principal`` (e.g. a pipeline's or a narrowed CloudFormation execution role) `deploy_statements`."""
    problems = Problems()
    validation.check_interface(problems, "principal", principal, "iam.IGrantable", "grant_principal", "a role")
    if problems.items:
        raise ValidationError("grant_deploy", problems.items)
    statements = deploy_statements(stack)
    for statement in statements:
        principal.grant_principal.add_to_principal_policy(statement)
    return iam.Grant.drop(principal, "deploy cdk-sagemaker-inference resources")


def _scaling_statements(facts: per_stack.StackFacts) -> list[iam.PolicyStatement]:
    from .scaling import SCALING_ROLE

    return [
        iam.PolicyStatement(
            actions=["iam:CreateServiceLinkedRole"],
            resources=[f"arn:{facts.partition}:iam::{facts.account}:{SCALING_ROLE}"],
            conditions={"StringEquals": {"iam:AWSServiceName": SCALING_SERVICE}},
        ),
        iam.PolicyStatement(
            actions=SCALING_ACTIONS,
            resources=[stack_arn(facts, "application-autoscaling", "scalable-target/*").arn],
        ),
        iam.PolicyStatement(actions=SCALING_READS, resources=["*"]),  # list actions: no resource-level permission
    ]


def _keys(configs: list[EndpointConfig]) -> list[kms.IKey]:
    """The configs' volume keys and asynchronous result keys."""
    found = []
    for config in configs:
        found.append(config.kms_key)
        found.append(config.async_inference.options.kms_key if config.async_inference is not None else None)
    return [key for key in found if key is not None]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
