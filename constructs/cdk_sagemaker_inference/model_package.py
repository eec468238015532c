"""A model served from SageMaker Model Registry (a group's newest approved version, or one version) or from an AWS
Marketplace model package, in place of an image and model data.

Registry versions are resolved during the deploy by one custom resource per model
(``Custom::SageMakerModelPackage``, ``lambda/model_registry``) on the stack's one ``ModelPackageProvider`` (loaded
only by a model that needs it). It answers the version's ARN, which the model renders as ``ModelPackageName``, and
the ECR repositories and S3 objects that version's containers use, which the execution role is granted and nothing
more.
"""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import CustomResource, Fn
from constructs import Construct

from . import api_model, per_stack, validation
from .errors import Problems
from .execution_role import ExecutionRole
from .nag import stack_arn

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

    from .per_stack import StackFacts

RESOURCE_TYPE = "Custom::SageMakerModelPackage"
RESOLVE_ID_CONTEXT = "cdk-sagemaker-inference:model-package-resolve-id"
"""Context key: set it to a fixed value for templates that do not change between synths (snapshot tests). By
default each synth gets a new value, so each deploy resolves the group's newest approved version again."""
_RESOLVE_ID = str(time.time_ns())  # one per process: every resolver of one synth shares it


@dataclass(frozen=True)
class ModelPackageConfig:
    """What a `Model` renders: ``ContainerDefinition.ModelPackageName``."""

    model_package_name: str


class ModelPackage(abc.ABC):
    """A model package a `Model` serves (``Model(model_package=...)``); choose with a factory.

    Registry versions must be ``Approved`` by default; the execution role is granted pull access to the version's
    image repositories and read access to its model data, as resolved at deploy time. A group or artifacts in
    another account also need that account's resource policies (README, "Model Registry").
    """

    is_marketplace: bool = False

    @staticmethod
    def latest_approved(group: str, *, artifacts_key: kms.IKey | None = None) -> ModelPackage:
        """The newest ``Approved`` version of a model package group, looked up on every deploy.

        :param group: the group's name (this account) or ARN (any account, the model's Region).
        :param artifacts_key: the KMS key encrypting the version's model data. Default: - none (S3-managed).
        """
        return _RegistryPackage(group=group, version=None, require_approval=True, artifacts_key=artifacts_key)

    @staticmethod
    def from_version_arn(
        version_arn: str, *, require_approval: bool = True, artifacts_key: kms.IKey | None = None
    ) -> ModelPackage:
        """One model package version, by ARN (``arn:...:model-package/<group>/<version>``).

        :param require_approval: fail the deploy unless the version is ``Approved``. Default: True.
        :param artifacts_key: the KMS key encrypting the version's model data. Default: - none (S3-managed).
        """
        return _RegistryPackage(
            group=None, version=version_arn, require_approval=require_approval, artifacts_key=artifacts_key
        )

    @staticmethod
    def from_marketplace(model_package_arn: str) -> ModelPackage:
        """An AWS Marketplace model package the account subscribes to. SageMaker pulls its image and data itself
        (no grants); the model must have ``network_isolation=True``, and serverless variants refuse it."""
        return _MarketplacePackage(model_package_arn)

    @property
    def region(self) -> str | None:
        """The package's Region when a literal ARN names it; None for a name or a deploy-time value."""
        return None

    @abc.abstractmethod
    def validate(self, problems: Problems, prop: str) -> None:
        """Add this choice's problems under the property name ``prop``."""

    @abc.abstractmethod
    def bind(self, scope: Construct, role: ExecutionRole) -> ModelPackageConfig:
        """Create what the choice needs under ``scope`` and grant ``role`` what the package's containers read."""


class _RegistryPackage(ModelPackage):
    def __init__(
        self, *, group: str | None, version: str | None, require_approval: bool, artifacts_key: kms.IKey | None
    ) -> None:
        self.group, self.version = group, version
        self.require_approval, self.artifacts_key = require_approval, artifacts_key

    @property
    def _arn(self) -> str | None:
        given = self.group if self.group is not None else self.version
        return given if isinstance(given, str) and given.startswith("arn:") else None

    @property
    def region(self) -> str | None:
        arn = self._arn
        return arn.split(":")[3] if arn else None

    def validate(self, problems: Problems, prop: str) -> None:
        fix = "copy it from SageMaker Studio's Model Registry or `aws sagemaker list-model-package-groups`"
        if self.group is not None:
            validation.check_value(
                problems,
                f"{prop}.group",
                self.group,
                api_model.member("ListModelPackagesInput", "ModelPackageGroupName"),
                fix,
            )
            if isinstance(self.group, str) and self.group.startswith("arn:"):
                validation.check_value(
                    problems, f"{prop}.group", self.group, api_model.shape("ModelPackageGroupArn"), fix
                )
        else:
            validation.check_value(
                problems, f"{prop}.version_arn", self.version, api_model.shape("ModelPackageArn"), fix
            )
        validation.check_type(problems, f"{prop}.require_approval", self.require_approval, bool, "True or False")
        if self.artifacts_key is not None:
            write = "kms.Key.from_key_arn(...) or a kms.Key"
            validation.check_interface(
                problems, f"{prop}.artifacts_key", self.artifacts_key, "kms.IKey", "key_arn", write
            )

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelPackageConfig:
        from .model_package_provider import ModelPackageProvider

        provider = ModelPackageProvider.of(scope)
        provider.allow_describe(self._versions_arn(per_stack.facts(scope)))
        resolve_id = scope.node.try_get_context(RESOLVE_ID_CONTEXT)
        properties: dict[str, object] = {"ResolveId": str(resolve_id) if resolve_id is not None else _RESOLVE_ID}
        if self.group is not None:
            properties["Group"] = self.group
        else:
            properties.update(Version=self.version, RequireApproval=str(self.require_approval).lower())
        resolved = CustomResource(
            scope,
            "ModelPackage",
            service_token=provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
        )
        role.grant_artifacts(
            repository_arns=Fn.split(",", resolved.get_att_string("ImageRepositoryArns")),
            object_arns=Fn.split(",", resolved.get_att_string("ModelDataArns")),
            kms_key=self.artifacts_key,
        )
        return ModelPackageConfig(model_package_name=resolved.get_att_string("ModelPackageArn"))

    def _versions_arn(self, facts: StackFacts) -> str:
        """The ARN(s) DescribeModelPackage may read: the version given, or every version of the group."""
        if self.version is not None:
            return self.version
        arn = self._arn
        if arn is None:  # a name: a group of this stack's account and Region
            return stack_arn(facts, "sagemaker", f"model-package/{validation.arn_name(self.group or '')}/*").arn
        prefix, name = arn.split(":model-package-group/", 1)
        return f"{prefix}:model-package/{name.lower()}/*"


class _MarketplacePackage(ModelPackage):
    is_marketplace = True

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @property
    def region(self) -> str | None:
        return self.arn.split(":")[3] if isinstance(self.arn, str) and self.arn.startswith("arn:") else None

    def validate(self, problems: Problems, prop: str) -> None:
        fix = "copy it from the AWS Marketplace subscription's configuration page"
        validation.check_value(problems, f"{prop}.model_package_arn", self.arn, api_model.shape("ModelPackageArn"), fix)

    def bind(self, scope: Construct, role: ExecutionRole) -> ModelPackageConfig:
        return ModelPackageConfig(model_package_name=self.arn)
