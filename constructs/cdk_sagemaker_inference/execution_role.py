"""The IAM role SageMaker assumes to pull a model's image and data, write its logs and publish metrics."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from . import validation
from .lazy import lazy_any
from .managed_policy import ManagedPolicyStatements
from .nag import StackArn, stack_arn, wildcard_finding

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints"
SAGEMAKER_METRIC_NAMESPACES = ("AWS/SageMaker", "/aws/sagemaker/*")
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
VPC_ACCESS_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)


LOG_PREFIX_REASON = (
    "SageMaker names endpoint log groups /aws/sagemaker/Endpoints/<endpoint> and log streams after instances that "
    "exist only at run time; until an endpoint of this library serves the role's models, the grant is limited to "
    "that prefix"
)


def via_s3(scope: Construct) -> dict[str, Any]:
    """A KMS condition: the key is used only by S3 on the caller's behalf, in this stack's Region."""
    return {"StringEquals": {"kms:ViaService": f"s3.{Stack.of(scope).region}.amazonaws.com"}}


@jsii.implements(iam.IGrantable)
class ExecutionRole(Construct):
    """A SageMaker execution role whose permissions all sit in one customer-managed policy.

    The role trusts ``sagemaker.amazonaws.com`` from this stack's account only (``aws:SourceAccount``,
    against confused deputies). It starts with what every endpoint needs: writing logs and publishing
    metrics to SageMaker's namespaces. Logs are limited to the log groups of the endpoints that serve
    the role's models (``/aws/sagemaker/Endpoints/<name>``; endpoints defined by this library say so
    through `serve_endpoint`), or to the ``/aws/sagemaker/Endpoints/`` prefix while none is known. The
    container image and model data add exactly what they need through their ``bind()``. Nothing is
    inline (cdk-nag's IAMNoInlinePolicy) and no AWS managed full-access policy is attached. Where the
    service forces a wildcard resource, the cdk-nag finding is acknowledged on this policy with why.

    ``policy`` is the ``AWS::IAM::ManagedPolicy`` (see `ManagedPolicyStatements`).

    Grants through `grant_principal` (e.g. ``bucket.grant_read(execution_role)``) land in the role's
    default inline policy; prefer `add_to_policy`.

    :param role: an existing role to use instead; the managed policy is attached to it.
        Default: - a role is defined.
    """

    def __init__(self, scope: Construct, construct_id: str, *, role: iam.IRole | None = None) -> None:
        super().__init__(scope, construct_id)
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                SAGEMAKER_PRINCIPAL, conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            ),
            description="SageMaker execution role (cdk-sagemaker-inference)",
        )
        self._policy = ManagedPolicyStatements(self, "Policy", roles=[self.role.role_name])
        self.policy = self._policy.policy
        self._endpoint_log_groups: list[StackArn] = []
        self._any_endpoint = False  # an endpoint whose name is known only at deploy time
        log_group = stack_arn(self, "logs", f"log-group:{ENDPOINT_LOG_GROUP_PREFIX}/*")
        log_stream = log_group.with_suffix(":log-stream:*")
        self._policy.allow(list(LOG_ACTIONS), lazy_any(self._log_resources))
        self._policy.allow(
            ["cloudwatch:PutMetricData"],
            ["*"],
            conditions={"StringLike": {"cloudwatch:namespace": list(SAGEMAKER_METRIC_NAMESPACES)}},
        )
        self._unscoped_logs = (log_group, log_stream)
        Validations.of(self.policy).acknowledge(
            Acknowledgment(id=log_group.wildcard_finding, reason=LOG_PREFIX_REASON),
            Acknowledgment(id=log_stream.wildcard_finding, reason=LOG_PREFIX_REASON),
            Acknowledgment(
                id=wildcard_finding("*"),
                reason="only actions without resource-level permissions get Resource *: cloudwatch:PutMetricData "
                "(a condition limits it to SageMaker's namespaces), ecr:GetAuthorizationToken, and the "
                "network-interface actions for the ENIs SageMaker creates at deploy time in a VPC",
            ),
        )

    def serve_endpoint(self, endpoint_name: str) -> None:
        """Limit the log permissions to this endpoint's log group (and those of the others served)."""
        if validation.is_unresolved(endpoint_name):  # cdk-nag could not name the finding: keep the prefix
            self._any_endpoint = True
            return
        log_group = stack_arn(self, "logs", f"log-group:{ENDPOINT_LOG_GROUP_PREFIX}/{endpoint_name}")
        if log_group in self._endpoint_log_groups:
            return
        self._endpoint_log_groups.append(log_group)
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id=log_group.with_suffix(":log-stream:*").wildcard_finding,
                reason="SageMaker names an endpoint's log streams after its variants and the instances that exist "
                "only at run time; the grant is limited to this endpoint's log group",
            )
        )

    def _log_resources(self) -> list[str]:
        groups = [] if self._any_endpoint else self._endpoint_log_groups
        if not groups:
            return [arn.arn for arn in self._unscoped_logs]
        return [group.arn for group in groups] + [group.with_suffix(":log-stream:*").arn for group in groups]

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self.role.grant_principal

    @property
    def role_arn(self) -> str:
        return self.role.role_arn

    @property
    def statements(self) -> list[dict[str, Any]]:
        """The policy's statements as IAM JSON (values may hold tokens), in the order added."""
        return self._policy.statements

    def add_to_policy(self, *statements: iam.PolicyStatement) -> None:
        """Add statements to the role's managed policy."""
        self._policy.add(*statements)

    def grant_ecr_pull(self, repository_arn: str) -> None:
        """Pull images from one ECR repository (plus ecr:GetAuthorizationToken, which only takes ``*``)."""
        self._policy.allow(list(ECR_PULL_ACTIONS), [repository_arn])
        self._policy.allow(["ecr:GetAuthorizationToken"], ["*"])

    def grant_s3_object_read(self, object_arn: str, kms_key: kms.IKey | None = None) -> None:
        """Read one S3 object (the model archive) and, if given, decrypt it with its KMS key through S3 only."""
        self._policy.allow(["s3:GetObject"], [object_arn])
        if kms_key is not None:
            self._policy.allow(["kms:Decrypt"], [kms_key.key_arn], conditions=via_s3(self))

    def grant_vpc_access(self) -> None:
        """Manage the network interfaces SageMaker attaches to a model in a VPC (IDs unknown until deploy)."""
        self._policy.allow(list(VPC_ACCESS_ACTIONS), ["*"])
