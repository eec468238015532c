"""The IAM role SageMaker assumes to pull a model's image and data, write its logs and publish metrics."""

from __future__ import annotations

import jsii
from aws_cdk import Acknowledgment, ArnFormat, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from constructs import Construct

from .nag import wildcard_finding

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints"
SAGEMAKER_METRIC_NAMESPACES = ("AWS/SageMaker", "/aws/sagemaker/*")
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
    inline (cdk-nag's IAMNoInlinePolicy) and there is never ``AmazonSageMakerFullAccess``. Where the
    service forces a wildcard resource, the cdk-nag finding is acknowledged on this policy with why.

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
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self.role])
        self._acknowledged: set[str] = set()
        self._allow_endpoint_logs()
        self._allow_on_any_resource(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": list(SAGEMAKER_METRIC_NAMESPACES)}},
            )
        )

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self.role.grant_principal

    @property
    def role_arn(self) -> str:
        return self.role.role_arn

    def add_to_policy(self, statement: iam.PolicyStatement) -> None:
        """Add a statement to the role's managed policy."""
        self.policy.add_statements(statement)

    def grant_ecr_pull(self, repository_arn: str) -> None:
        """Pull images from one ECR repository (plus ecr:GetAuthorizationToken, which only takes ``*``)."""
        self.add_to_policy(iam.PolicyStatement(actions=list(ECR_PULL_ACTIONS), resources=[repository_arn]))
        self._allow_on_any_resource(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))

    def grant_s3_object_read(self, object_arn: str, kms_key: kms.IKey | None = None) -> None:
        """Read one S3 object (the model archive) and, if given, decrypt it with its KMS key."""
        self.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[object_arn]))
        if kms_key is not None:
            self.add_to_policy(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[kms_key.key_arn]))

    def grant_vpc_access(self) -> None:
        """Manage the network interfaces SageMaker attaches to a model in a VPC (IDs unknown until deploy)."""
        self._allow_on_any_resource(iam.PolicyStatement(actions=list(VPC_ACCESS_ACTIONS), resources=["*"]))

    def _allow_endpoint_logs(self) -> None:
        group = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{ENDPOINT_LOG_GROUP_PREFIX}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        stream = f"{group}:log-stream:*"
        self.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[group, stream],
            )
        )
        reason = (
            "SageMaker names endpoint log groups /aws/sagemaker/Endpoints/<endpoint> and log streams after "
            "instances that exist only at run time; the grant is limited to that prefix"
        )
        for arn in (group, stream):
            self._acknowledge(wildcard_finding(self, arn), reason)

    def _allow_on_any_resource(self, statement: iam.PolicyStatement) -> None:
        """Add a statement that the service forces onto ``Resource: *`` and acknowledge that finding."""
        self.add_to_policy(statement)
        self._acknowledge(
            wildcard_finding(self, "*"),
            "these actions support no resource-level permissions (ecr:GetAuthorizationToken, "
            "cloudwatch:PutMetricData, which a condition limits to SageMaker's namespaces, ec2:Describe*) or "
            "act on network interfaces SageMaker creates at deploy time",
        )

    def _acknowledge(self, finding: str, reason: str) -> None:
        if finding not in self._acknowledged:
            self._acknowledged.add(finding)
            Validations.of(self.policy).acknowledge(Acknowledgment(id=finding, reason=reason))
