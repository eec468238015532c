"""The IAM role SageMaker assumes to pull a model's image and data, write its logs and publish metrics."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .managed_policy import ManagedPolicyStatements
from .nag import stack_arn, wildcard_finding

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


@jsii.implements(iam.IGrantable)
class ExecutionRole(Construct):
    """A SageMaker execution role whose permissions all sit in one customer-managed policy.

    The role trusts ``sagemaker.amazonaws.com``. It starts with what every endpoint needs: writing
    logs under ``/aws/sagemaker/Endpoints/`` and publishing metrics to SageMaker's namespaces. The
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
            assumed_by=iam.ServicePrincipal(SAGEMAKER_PRINCIPAL),
            description="SageMaker execution role (cdk-sagemaker-inference)",
        )
        self._policy = ManagedPolicyStatements(self, "Policy", roles=[self.role.role_name])
        self.policy = self._policy.policy
        log_group = stack_arn(self, "logs", f"log-group:{ENDPOINT_LOG_GROUP_PREFIX}/*")
        log_stream = log_group.with_suffix(":log-stream:*")
        self._policy.allow(list(LOG_ACTIONS), [log_group.arn, log_stream.arn])
        self._policy.allow(
            ["cloudwatch:PutMetricData"],
            ["*"],
            conditions={"StringLike": {"cloudwatch:namespace": list(SAGEMAKER_METRIC_NAMESPACES)}},
        )
        log_reason = (
            "SageMaker names endpoint log groups /aws/sagemaker/Endpoints/<endpoint> and log streams after "
            "instances that exist only at run time; the grant is limited to that prefix"
        )
        Validations.of(self.policy).acknowledge(
            Acknowledgment(id=log_group.wildcard_finding, reason=log_reason),
            Acknowledgment(id=log_stream.wildcard_finding, reason=log_reason),
            Acknowledgment(
                id=wildcard_finding("*"),
                reason="only actions without resource-level permissions get Resource *: cloudwatch:PutMetricData "
                "(a condition limits it to SageMaker's namespaces), ecr:GetAuthorizationToken, and the "
                "network-interface actions for the ENIs SageMaker creates at deploy time in a VPC",
            ),
        )

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
        """Read one S3 object (the model archive) and, if given, decrypt it with its KMS key."""
        self._policy.allow(["s3:GetObject"], [object_arn])
        if kms_key is not None:
            self._policy.allow(["kms:Decrypt"], [kms_key.key_arn])

    def grant_vpc_access(self) -> None:
        """Manage the network interfaces SageMaker attaches to a model in a VPC (IDs unknown until deploy)."""
        self._policy.allow(list(VPC_ACCESS_ACTIONS), ["*"])
