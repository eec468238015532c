"""The one smoke-test provider of a stack: handler functions, their role, and the CDK Provider framework."""

from __future__ import annotations

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

PROVIDER_ID = "SageMakerSmokeTestProvider"
QUERY_INTERVAL = Duration.seconds(10)
# The handler makes a call only while the invocation has time for its worst case (see handler.worst_case_seconds).
ON_EVENT_TIMEOUT = Duration.minutes(1)
IS_COMPLETE_TIMEOUT = Duration.minutes(5)
# The handler enforces each test's own timeout (at most MAX_TEST_TIMEOUT) with a clear message; the
# framework's total timeout and the custom resource's service timeout are backstops, each later.
MAX_TEST_TIMEOUT = Duration.minutes(45)
PROVIDER_TOTAL_TIMEOUT = Duration.minutes(50)  # a whole number of query intervals
SERVICE_TIMEOUT = Duration.minutes(55)  # CloudFormation's limit is 60
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
RUNTIME = lambda_.Runtime.PYTHON_3_14

# Why cdk-nag's findings on the framework's parts and the handler functions do not apply, by rule.
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
    "LambdaInsideVPC": "the function calls only public AWS APIs (SageMaker, S3, CloudFormation, Lambda, Step "
    "Functions) during deploys and reads nothing on a private network",
    "CloudWatchLogGroupEncrypted": "the logs hold endpoint names, statuses, sizes and the expected answers, all "
    "already in the template (payloads and answers only where a test reveals them); CloudWatch Logs encrypts them "
    "at rest with its own keys",
}
RULES_BY_TYPE = {
    "AWS::Lambda::Function": [
        f"{pack}-{rule}" for pack in COMPLIANCE_PACKS for rule in ("LambdaConcurrency", "LambdaDLQ", "LambdaInsideVPC")
    ],
    "AWS::IAM::Policy": [f"{pack}-IAMNoInlinePolicy" for pack in COMPLIANCE_PACKS],
    "AWS::StepFunctions::StateMachine": ["AwsSolutions-SF2"],
    "AWS::Logs::LogGroup": [f"{pack}-CloudWatchLogGroupEncrypted" for pack in COMPLIANCE_PACKS],
}


class SmokeTestProvider(Construct):
    """Runs every smoke test of a stack: get it with `SmokeTestProvider.of`, never construct it twice.

    Two Python functions (``on_event`` answers at once, ``is_complete`` polls every 10 s) share one role
    whose customer-managed ``policy`` each smoke test extends with its endpoint's ARN. Their logs go to
    ``log_group`` (JSON lines, kept one month); the framework's to ``framework_log_group``.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.body_check_bytes = 0  # of this stack's smoke tests, which the template holds
        self.role = iam.Role(
            self,
            "HandlerRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Smoke tests of SageMaker endpoints at deploy time (cdk-sagemaker-inference)",
        )
        self.policy = ManagedPolicyStatements(self, "HandlerPolicy", roles=[self.role.role_name])
        self.log_group = _log_group(self, "HandlerLogs")
        self.policy.allow(["logs:CreateLogStream", "logs:PutLogEvents"], [self.log_group.log_group_arn])
        self.policy.allow(["cloudformation:DescribeStacks"], [Stack.of(self).stack_id])
        code = handler_code("smoke_test")
        self.on_event = self._function("OnEvent", code, "handler.on_event", ON_EVENT_TIMEOUT)
        self.is_complete = self._function("IsComplete", code, "handler.is_complete", IS_COMPLETE_TIMEOUT)
        self.framework_log_group = _log_group(self, "FrameworkLogs")
        self.provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.on_event,
            is_complete_handler=self.is_complete,
            query_interval=QUERY_INTERVAL,
            total_timeout=PROVIDER_TOTAL_TIMEOUT,
            log_group=self.framework_log_group,
            disable_waiter_state_machine_logging=False,
            # ALL events (cdk-nag SF1), without execution data: the events hold the test payloads.
            waiter_state_machine_log_options=cr.LogOptions(
                destination=self.framework_log_group, level=sfn.LogLevel.ALL, include_execution_data=False
            ),
        )
        acknowledge_findings(self, RULES_BY_TYPE, REASONS)

    @staticmethod
    def of(scope: Construct) -> SmokeTestProvider:
        """The provider of ``scope``'s stack, defined on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        return existing if isinstance(existing, SmokeTestProvider) else SmokeTestProvider(stack, PROVIDER_ID)

    @staticmethod
    def body_check_bytes_of(scope: Construct) -> int:
        """The bytes of body checks the smoke tests of ``scope``'s stack hold so far (0 before the first)."""
        existing = Stack.of(scope).node.try_find_child(PROVIDER_ID)
        return existing.body_check_bytes if isinstance(existing, SmokeTestProvider) else 0

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
            description=f"SageMaker endpoint smoke test: {handler.split('.')[-1]} (cdk-sagemaker-inference)",
        )
        function.node.add_dependency(self.policy.policy)
        return function


def _log_group(scope: Construct, construct_id: str) -> logs.LogGroup:
    return logs.LogGroup(scope, construct_id, retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
