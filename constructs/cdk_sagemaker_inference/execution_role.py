"""The IAM role SageMaker assumes to pull a model's image and data, write its logs and publish metrics."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import per_stack, validation
from .errors import Problems
from .managed_policy import ManagedPolicyStatements
from .nag import StackArn, acknowledge_nag_findings, collapsed, shown, stack_arn, wildcard_finding, wildcard_findings
from .per_stack import StackFacts
from .s3_location import S3Location, check_location

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns


SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints"
COMPONENT_LOG_GROUP_PREFIX = "/aws/sagemaker/InferenceComponents"
PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
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
    "SageMaker names the objects under these prefixes itself (asynchronous results and failures, captured data, "
    "the smoke test's requests) or reads every model under them (multi-model and uncompressed model data); each "
    "grant is limited to its prefix"
)


SCOPED_LOG_REASON = (
    "SageMaker names the log streams of an endpoint (or inference component) after its variants, instances or "
    "copies, which exist only at run time; the grant is limited to the log groups of those this role serves (past "
    "6 of a kind, to their names' common prefix, which keeps the policy within IAM's size quota)"
)
MAX_LISTED_LOG_GROUPS = 6
"""Log groups of one kind a role lists by name; more share their names' common prefix (policy size)."""
PREFIX_REASON = (
    "SageMaker names asynchronous requests' results and failures itself (and the smoke test its requests) under "
    "these prefixes; the grant is limited to the prefix"
)
FORCED_WILDCARD_REASON = (
    "only actions without resource-level permissions get Resource *: cloudwatch:PutMetricData (a condition limits "
    "it to SageMaker's namespaces), ecr:GetAuthorizationToken, the network-interface actions for the ENIs "
    "SageMaker creates at deploy time in a VPC, and the ssmmessages channels of a variant with SSM access"
)
# The guide's SSM access page: what the execution role needs for shells into the containers.
SSM_SESSION_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


_SHARED: weakref.WeakKeyDictionary[Stack, list[tuple[iam.IRole, ExecutionRole]]] = weakref.WeakKeyDictionary()


@jsii.implements(iam.IPrincipal)
class _PolicyPrincipal:
    """``role`` as a principal whose grants are added to ``policy`` (never to an inline policy)."""

    def __init__(self, role: iam.IRole, policy: ManagedPolicyStatements) -> None:
        self._role = role
        self._policy = policy

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self._role.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._role.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._role.principal_account

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        self._policy.add(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._policy.policy)


_PRINCIPALS: weakref.WeakKeyDictionary[Stack, iam.ServicePrincipal] = weakref.WeakKeyDictionary()


def _sagemaker_principal(facts: StackFacts) -> iam.ServicePrincipal:
    """SageMaker acting for this stack's account (``aws:SourceAccount``); one object per stack, shared by its roles."""
    if facts.stack not in _PRINCIPALS:
        _PRINCIPALS[facts.stack] = iam.ServicePrincipal(
            SAGEMAKER_PRINCIPAL, conditions={"StringEquals": {"aws:SourceAccount": facts.account}}
        )
    return _PRINCIPALS[facts.stack]


def via_s3(facts: StackFacts) -> dict[str, Any]:
    """A KMS condition: the key is used only by S3 on the caller's behalf, in the stack's Region."""
    return {"StringEquals": {"kms:ViaService": f"s3.{facts.region}.amazonaws.com"}}


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

    Grants through `grant_principal` (e.g. ``bucket.grant_read(model)`` or
    ``bucket.grant_read(execution_role)``) land in the managed policy, which every model of the role waits
    for. (Grants to ``execution_role.role`` itself land in the role's own inline policy.)

    :param role: an existing role to use instead; the managed policy is attached to it.
        Default: - a role is defined.
    """

    def __init__(self, scope: Construct, construct_id: str, *, role: iam.IRole | None = None) -> None:
        super().__init__(scope, construct_id)
        if role is not None:
            problems = Problems()
            write = "iam.Role.from_role_arn(...) or an iam.Role"
            validation.check_interface(problems, "role", role, "iam.IRole", "role_arn", write)
            problems.raise_if_any(self)
        self.stack_facts = per_stack.facts(scope)
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=_sagemaker_principal(self.stack_facts),
            description="SageMaker execution role (cdk-sagemaker-inference)",
        )
        self._policy = ManagedPolicyStatements(
            self,
            "Policy",
            roles=[self.role.role_name],
            split_hint="give some of the models that share this role their own ExecutionRole (Model(role=...))",
        )
        self.policy = self._policy.policy
        self._log_groups: list[StackArn] = []
        self._wildcard_grants: list[str] = []  # object prefixes SageMaker names objects under
        self._unscoped_log_group = stack_arn(self.stack_facts, "logs", f"log-group:{ENDPOINT_LOG_GROUP_PREFIX}/*")
        self._policy.allow(list(LOG_ACTIONS), lambda: [arn.arn for arn in self._log_arns()])
        self._policy.allow(
            ["cloudwatch:PutMetricData"],
            ["*"],
            conditions={"StringLike": {"cloudwatch:namespace": list(SAGEMAKER_METRIC_NAMESPACES)}},
        )
        per_stack.at_validation(self.stack_facts.stack, self._acknowledge)
        self._principal = _PolicyPrincipal(self.role, self._policy)

    def serve_endpoint(self, endpoint_name: str) -> None:
        """Limit the log permissions to this endpoint's log group (and those of the others served)."""
        self._serve_log_group(ENDPOINT_LOG_GROUP_PREFIX, endpoint_name)

    def serve_inference_component(self, component_name: str) -> None:
        """Let the role also write the log group of this inference component, where its containers log."""
        self._serve_log_group(COMPONENT_LOG_GROUP_PREFIX, component_name)

    def serve_processing_jobs(self) -> None:
        """Let the role write the processing jobs' log group, where monitoring jobs log (streams per job)."""
        log_group = stack_arn(self.stack_facts, "logs", f"log-group:{PROCESSING_LOG_GROUP}")
        if log_group not in self._log_groups:
            self._log_groups.append(log_group)

    def _serve_log_group(self, prefix: str, name: str) -> None:
        problems = Problems()
        validation.check_type(problems, "name", name, str, "the resource's name")
        problems.raise_if_any(self)
        log_group = stack_arn(self.stack_facts, "logs", f"log-group:{prefix}/{name}")
        if validation.is_unresolved(name):  # a deploy-time name, as cdk-nag prints it (e.g. <NameParameter>)
            shown_name = shown(self.stack_facts.stack.resolve(name))
            log_group = StackArn(arn=log_group.arn, shown=log_group.shown.replace(name, shown_name))
        if log_group not in self._log_groups:
            self._log_groups.append(log_group)

    def _log_arns(self) -> list[StackArn]:
        """The log groups the role may write (those of the endpoints served, else the prefix) and their streams."""
        groups = collapsed(self._log_groups, MAX_LISTED_LOG_GROUPS) or [self._unscoped_log_group]
        return groups + [group.with_suffix(":log-stream:*") for group in groups]

    def _acknowledge(self) -> None:
        """At synth, acknowledge the wildcards the policy holds then, each with why (one call for all)."""
        scoped = bool(self._log_groups)
        log_reason = SCOPED_LOG_REASON if scoped else LOG_PREFIX_REASON
        wildcard_logs = [arn for arn in self._log_arns() if "*" in arn.shown]
        document = {"Statement": [{"Resource": self._wildcard_grants}]}
        prefixes = wildcard_findings(self.policy, document) if self._wildcard_grants else []
        acknowledge_nag_findings(
            self.policy,
            {
                **{arn.wildcard_finding: log_reason for arn in wildcard_logs},
                wildcard_finding("*"): FORCED_WILDCARD_REASON,
                **dict.fromkeys(prefixes, PREFIX_REASON),
            },
        )

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The role, with grants landing in this managed policy (which the models wait for)."""
        return self._principal

    @staticmethod
    def shared(scope: Construct, role: iam.IRole) -> ExecutionRole:
        """The `ExecutionRole` of ``role`` in ``scope``'s stack, defined under ``scope`` on first use.

        Models that share one IAM role share one managed policy (IAM attaches at most 10 by default).
        """
        stack = per_stack.facts(scope).stack
        known = _SHARED.setdefault(stack, [])
        for candidate, execution_role in known:
            if candidate is role:
                return execution_role
        execution_role = ExecutionRole(scope, "ExecutionRole", role=role)
        known.append((role, execution_role))
        return execution_role

    @property
    def role_arn(self) -> str:
        return self.role.role_arn

    @property
    def statements(self) -> list[dict[str, Any]]:
        """The policy's statements as IAM JSON (values may hold tokens), in the order added."""
        return self._policy.statements

    def add_to_policy(self, *statements: iam.PolicyStatement) -> None:
        """Add statements to the role's managed policy."""
        problems = Problems()
        for index, statement in enumerate(statements):
            write = "iam.PolicyStatement(...)"
            validation.check_type(problems, f"statements[{index}]", statement, iam.PolicyStatement, write)
        problems.raise_if_any(self)
        self._policy.add(*statements)

    def grant_ecr_pull(self, repository_arn: str) -> None:
        """Pull images from one ECR repository (plus ecr:GetAuthorizationToken, which only takes ``*``)."""
        problems = Problems()
        example = "arn:aws:ecr:us-east-1:123456789012:repository/name"
        validation.check_arn(problems, "repository_arn", repository_arn, example)
        problems.raise_if_any(self)
        self._allow_ecr_pull([repository_arn])

    def grant_s3_object_read(self, object_arn: str, kms_key: kms.IKey | None = None) -> None:
        """Read one S3 object (the model archive) and, if given, decrypt it with its KMS key through S3 only."""
        problems = Problems()
        validation.check_arn(problems, "object_arn", object_arn, "arn:aws:s3:::bucket/key")
        _check_key(problems, kms_key)
        problems.raise_if_any(self)
        self._allow_object_read([object_arn], kms_key)

    def grant_artifacts(
        self, *, repository_arns: Sequence[str], object_arns: Sequence[str], kms_key: kms.IKey | None = None
    ) -> None:
        """Pull images from ECR repositories and read S3 objects (model data), decrypting with ``kms_key`` through
        S3 only: what a model package's containers use. Each list may be a deploy-time list (``Fn.split``)."""
        problems = Problems()
        for prop, arns, example in (
            ("repository_arns", repository_arns, "arn:aws:ecr:us-east-1:123456789012:repository/name"),
            ("object_arns", object_arns, "arn:aws:s3:::bucket/key"),
        ):
            if validation.check_type(problems, prop, arns, (list, tuple), f"[{example!r}]") and not (
                validation.is_unresolved(list(arns))
            ):
                for index, arn in enumerate(arns):
                    validation.check_arn(problems, f"{prop}[{index}]", arn, example)
        _check_key(problems, kms_key)
        problems.raise_if_any(self)
        self._allow_ecr_pull(list(repository_arns))
        self._allow_object_read(list(object_arns), kms_key)

    def _allow_ecr_pull(self, repository_arns: list[str]) -> None:
        self._policy.allow(list(ECR_PULL_ACTIONS), repository_arns)
        self._policy.allow(["ecr:GetAuthorizationToken"], ["*"])

    def _allow_object_read(self, object_arns: list[str], kms_key: kms.IKey | None) -> None:
        self._policy.allow(["s3:GetObject"], object_arns)
        if kms_key is not None:
            self._policy.allow(["kms:Decrypt"], [kms_key.key_arn], conditions=via_s3(self.stack_facts))

    def grant_s3_prefix_write(self, location: S3Location, kms_key: kms.IKey | None = None) -> None:
        """Write objects under ``location`` (asynchronous results SageMaker names), encrypting through S3 only."""
        problems = Problems()
        check_location(problems, "location", location)
        _check_key(problems, kms_key)
        problems.raise_if_any(self)
        self._policy.allow(["s3:PutObject", "s3:AbortMultipartUpload"], [location.objects_arn])
        self._wildcard_grants.append(location.objects_arn)
        for key in (kms_key, location.bucket.encryption_key):
            if key is not None:
                self._policy.allow(
                    ["kms:GenerateDataKey", "kms:Decrypt"], [key.key_arn], conditions=via_s3(self.stack_facts)
                )

    def grant_s3_prefix_read(
        self, location: S3Location, *, list_objects: bool = False, kms_key: kms.IKey | None = None
    ) -> None:
        """Read objects under ``location`` (asynchronous requests, model data, captures), decrypting through S3 only.

        :param list_objects: also list the keys under the prefix (uncompressed model data). Default: False.
        :param kms_key: the key the objects are encrypted with, beside the bucket's own. Default: - the bucket's.
        """
        problems = Problems()
        check_location(problems, "location", location)
        _check_key(problems, kms_key)
        problems.raise_if_any(self)
        self._policy.allow(["s3:GetObject"], [location.objects_arn])
        self._wildcard_grants.append(location.objects_arn)
        if list_objects:
            self._policy.allow(
                ["s3:ListBucket"],
                [location.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{location.prefix}*"]}},
            )
        for key in (kms_key, location.bucket.encryption_key):
            if key is not None:
                self._policy.allow(["kms:Decrypt"], [key.key_arn], conditions=via_s3(self.stack_facts))

    def grant_topic_publish(self, topic: sns.ITopic) -> None:
        """Publish to one SNS topic (asynchronous notifications), with its key if it is encrypted."""
        problems = Problems()
        write = "sns.Topic.from_topic_arn(...) or an sns.Topic"
        validation.check_interface(problems, "topic", topic, "sns.ITopic", "topic_arn", write)
        problems.raise_if_any(self)
        self._policy.allow(["sns:Publish"], [topic.topic_arn])
        if topic.master_key is not None:
            conditions = {"StringEquals": {"kms:ViaService": f"sns.{self.stack_facts.region}.amazonaws.com"}}
            self._policy.allow(
                ["kms:GenerateDataKey", "kms:Decrypt"], [topic.master_key.key_arn], conditions=conditions
            )

    def grant_ssm_sessions(self) -> None:
        """Open the Systems Manager channels of shells into the containers (a variant's ``enable_ssm_access``);
        ``ssmmessages`` has no resource-level permissions."""
        self._policy.allow(list(SSM_SESSION_ACTIONS), ["*"])

    def grant_vpc_access(self) -> None:
        """Manage the network interfaces SageMaker attaches to a model in a VPC (IDs unknown until deploy)."""
        self._policy.allow(list(VPC_ACCESS_ACTIONS), ["*"])


def _check_key(problems: Problems, key: object) -> None:
    if key is not None:
        write = "kms.Key.from_key_arn(...) or a kms.Key"
        validation.check_interface(problems, "kms_key", key, "kms.IKey", "key_arn", write)
