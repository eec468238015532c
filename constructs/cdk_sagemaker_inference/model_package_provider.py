"""The one Model Registry resolver of a stack: `DeployTimeProvider` of the ``model_registry`` handler."""

from __future__ import annotations

from aws_cdk import Duration
from constructs import Construct

from .deploy_time_provider import DeployTimeProvider, HandlerSpec
from .nag import acknowledge_nag_findings, wildcard_finding, wildcard_findings

LIST_REASON = (
    "sagemaker:ListModelPackages takes no resource-level permissions (the Service Authorization Reference lists no "
    "resource type for it); DescribeModelPackage is limited to the versions of the groups this stack serves"
)
VERSIONS_REASON = (
    "a group's versions are numbered as they are registered, after this stack is deployed; the grant is limited to "
    "the versions of one group"
)


class ModelPackageProvider(DeployTimeProvider):
    """Resolves the Model Registry versions of a stack's models (one function, no polling); get it with
    `ModelPackageProvider.of`. Each model adds the versions it may describe to the shared ``policy``."""

    PROVIDER_ID = "SageMakerModelPackageProvider"

    SPEC = HandlerSpec(
        module="resolver",
        handler="model_registry",
        description="SageMaker Model Registry version resolver",
        calls="SageMaker",
        logs="model package group names and version ARNs, already in the template or the models it creates",
        on_event_timeout=Duration.minutes(1),
    )

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.policy.allow(["sagemaker:ListModelPackages"], ["*"])
        acknowledge_nag_findings(self.policy.policy, {wildcard_finding("*"): LIST_REASON})

    def allow_describe(self, versions_arn: str) -> None:
        """Let the resolver describe ``versions_arn``: one version, or a group's (``.../model-package/<group>/*``)."""
        self.policy.allow(["sagemaker:DescribeModelPackage"], [versions_arn])
        findings = wildcard_findings(self.policy.policy, {"Statement": [{"Resource": versions_arn}]})
        acknowledge_nag_findings(self.policy.policy, dict.fromkeys(findings, VERSIONS_REASON))
