"""One CDK Provider per stack and handler: the handler's functions, their role and customer-managed policy, logs.

The smoke tests and the scaling guards each run on one such provider per stack (`SmokeTestProvider`,
`ScalingGuardProvider`), so a stack pays for the functions once, whatever the number of endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct

from .handler_assets import handler_code
from .managed_policy import ManagedPolicyStatements
from .nag import COMPLIANCE_PACKS, acknowledge_findings

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
RUNTIME = lambda_.Runtime.PYTHON_3_14

# Why cdk-nag's findings on the framework's parts and the handler functions do not apply, by rule; a provider
# adds what its functions call and what their logs hold.
REASONS = {
    "AwsSolutions-IAM4": "the CDK Provider framework's own function roles use AWSLambdaBasicExecutionRole, "
    "which only lets them write their logs",
    "AwsSolutions-IAM5": "the CDK Provider framework invokes the handler functions by ARN with any version "
    "qualifier (<function arn>:*), as Lambda's own grant_invoke does",
    "AwsSolutions-IAM5[Resource::*]": "the waiter state machine's log delivery actions (logs:CreateLogDelivery, "
    "logs:PutResourcePolicy and the like) only take Resource *",
    "AwsSolutions-SF2": "the waiter state machine runs only during deploys and only calls the handler; X-Ray "
    "tracing would need wildcard X-Ray permissions and show no service map worth reading",
    "IAMNoInlinePolicy": "the CDK Provider framework grants its own roles through inline policies it manages; "
    "the handler role's permissions are in a customer-managed policy",
    "LambdaConcurrency": "a deploy-time function runs a few times per deploy; reserved concurrency would take "
    "capacity from the account's unreserved pool (and fails on accounts with the minimum)",
    "LambdaDLQ": "the Provider framework invokes these functions synchronously and reports failures to "
    "CloudFormation; a dead-letter queue only receives failed asynchronous invocations",
}
RULES_BY_TYPE = {
    "AWS::Lambda::Function": [
        f"{pack}-{rule}" for pack in COMPLIANCE_PACKS for rule in ("LambdaConcurrency", "LambdaDLQ", "LambdaInsideVPC")
    ],
    "AWS::IAM::Policy": [f"{pack}-IAMNoInlinePolicy" for pack in COMPLIANCE_PACKS],
    "AWS::StepFunctions::StateMachine": ["AwsSolutions-SF2"],
    "AWS::Logs::LogGroup": [f"{pack}-CloudWatchLogGroupEncrypted" for pack in COMPLIANCE_PACKS],
}

P = TypeVar("P", bound="DeployTimeProvider")


@dataclass(frozen=True)
class HandlerSpec:
    """What a provider runs: ``module``'s ``on_event`` (and ``is_complete``) in ``handler``, a folder of ``lambda/``.

    :param calls: the AWS APIs the functions call, for the reason that they need no VPC.
    :param logs: what the logs hold, for the reason that CloudWatch Logs' own encryption suffices.
    :param is_complete_timeout: with it, an ``is_complete`` function polls every ``query_interval`` up to
        ``total_timeout`` (a whole number of intervals). Default: - no polling.
    """

    handler: str
    module: str
    description: str
    calls: str
    logs: str
    on_event_timeout: Duration
    is_complete_timeout: Duration | None = None
    query_interval: Duration | None = None
    total_timeout: Duration | None = None


class DeployTimeProvider(Construct):
    """The functions of one handler (``lambda/<handler>``) behind a CDK ``Provider``; get one with ``of``.

    ``on_event`` answers each request, ``is_complete`` (if the `HandlerSpec` asks) polls. Both share ``role``,
    whose customer-managed ``policy`` the custom resources extend, and log to ``log_group`` (JSON lines, kept
    one month); the framework logs to ``framework_log_group``.
    """

    PROVIDER_ID: ClassVar[str]
    SPEC: ClassVar[HandlerSpec]

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        spec = self.SPEC
        description = spec.description
        self.role = iam.Role(
            self,
            "HandlerRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{description} (cdk-sagemaker-inference)",
        )
        self.policy = ManagedPolicyStatements(
            self,
            "HandlerPolicy",
            roles=[self.role.role_name],
            split_hint="spread the endpoints over more stacks (EndpointStacks): each stack has its own provider",
        )
        self.log_group = _log_group(self, "HandlerLogs")
        self.policy.allow(["logs:CreateLogStream", "logs:PutLogEvents"], [self.log_group.log_group_arn])
        self.policy.allow(["cloudformation:DescribeStacks"], [Stack.of(self).stack_id])
        code = handler_code(spec.handler)
        self.on_event = self._function("OnEvent", code, f"{spec.module}.on_event", spec.on_event_timeout)
        self.is_complete = (
            self._function("IsComplete", code, f"{spec.module}.is_complete", spec.is_complete_timeout)
            if spec.is_complete_timeout is not None
            else None
        )
        self.framework_log_group = _log_group(self, "FrameworkLogs")
        if self.is_complete is None:
            self.provider = cr.Provider(
                self, "Provider", on_event_handler=self.on_event, log_group=self.framework_log_group
            )
        else:
            self.provider = cr.Provider(
                self,
                "Provider",
                on_event_handler=self.on_event,
                log_group=self.framework_log_group,
                is_complete_handler=self.is_complete,
                query_interval=spec.query_interval,
                total_timeout=spec.total_timeout,
                disable_waiter_state_machine_logging=False,
                # ALL events (cdk-nag SF1), without execution data: the events hold the resources' properties.
                waiter_state_machine_log_options=cr.LogOptions(
                    destination=self.framework_log_group, level=sfn.LogLevel.ALL, include_execution_data=False
                ),
            )
        reasons: Mapping[str, str] = {
            **REASONS,
            "LambdaInsideVPC": f"the function calls only public AWS APIs ({spec.calls}) during deploys and reads "
            "nothing on a private network",
            "CloudWatchLogGroupEncrypted": f"the logs hold {spec.logs}; CloudWatch Logs encrypts them at rest with "
            "its own keys",
        }
        acknowledge_findings(self, RULES_BY_TYPE, reasons)

    @classmethod
    def of(cls: type[P], scope: Construct) -> P:
        """The provider of ``scope``'s stack, defined on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.PROVIDER_ID)
        return existing if isinstance(existing, cls) else cls(stack, cls.PROVIDER_ID)

    @property
    def service_token(self) -> str:
        return self.provider.service_token

    def _function(self, construct_id: str, code: lambda_.Code, handler: str, timeout: Duration) -> lambda_.Function:
        function = lambda_.Function(
            self,
            construct_id,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            code=code,
            handler=handler,
            timeout=timeout,
            memory_size=256,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            description=f"{self.SPEC.description}: {handler.split('.')[-1]} (cdk-sagemaker-inference)",
        )
        function.node.add_dependency(self.policy.policy)
        return function


def _log_group(scope: Construct, construct_id: str) -> logs.LogGroup:
    return logs.LogGroup(scope, construct_id, retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
