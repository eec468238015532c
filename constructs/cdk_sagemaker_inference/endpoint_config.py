"""Endpoint configs: 1 to 10 production variants of one kind (instances or serverless)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import Resource
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, compatibility, per_stack, rules, validation
from .async_inference import AsyncInference, BoundAsyncInference
from .errors import Problems
from .imported import ImportedResource, identity
from .model import ModelBase
from .variants import InvocationFeatures, ProductionVariant, Variant

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms


class EndpointConfigBase(Resource):
    """What every endpoint config offers, defined here or imported (`IEndpointConfig`): name and ARN.

    An imported config's variants are unknown: an endpoint serving it checks no metric or smoke-test
    target against them, and its models' roles must already hold what the endpoint needs.
    """

    stack_facts: per_stack.StackFacts

    @property
    def kind(self) -> str:
        """The variants' kind; an imported config is taken for instances (an endpoint's default name says it)."""
        return "instance"

    @property
    def endpoint_config_name(self) -> str:
        raise NotImplementedError

    @property
    def endpoint_config_arn(self) -> str:
        raise NotImplementedError

    def serve_endpoint(self, endpoint_name: str) -> None:
        """An endpoint serves this config (a defined config scopes its models' logs to it)."""


IEndpointConfig = EndpointConfigBase
"""An endpoint config: one this library defines (`EndpointConfig`) or one imported."""


class _ImportedEndpointConfig(ImportedResource, EndpointConfigBase):
    @property
    def endpoint_config_name(self) -> str:
        return self.identity.name

    @property
    def endpoint_config_arn(self) -> str:
        return self.identity.arn


class EndpointConfig(EndpointConfigBase):
    """An endpoint config (``AWS::SageMaker::EndpointConfig``) of 1 to 10 production variants.

    It has no physical name: every property is create-only, so any change creates a new config that
    the endpoint then switches to. Add variants later with `add_production_variant`. What a variant kind
    refuses of the rest of the config (e.g. serverless and a second variant) is checked as variants come.

    :param production_variants: the variants (`ProductionVariant`, `ServerlessProductionVariant`); at least one.
    :param kms_key: encrypts the instances' ML storage volumes; for a serverless variant, SageMaker's copy
        of the image (the key policy must let the execution role use it). Default: - an AWS-managed key.
    :param async_inference: serve asynchronous requests only (InvokeEndpointAsync): results and failures in
        S3, optional SNS topics; ``async_inference`` then holds its locations. Default: - synchronous.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        production_variants: Sequence[Variant],
        kms_key: kms.IKey | None = None,
        async_inference: AsyncInference | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack_facts = per_stack.facts(scope)
        self._variants: list[Variant] = []
        problems = Problems()
        if kms_key is not None:
            validation.check_interface(
                problems,
                "kms_key",
                kms_key,
                "kms.IKey",
                "grant_decrypt",
                "kms.Key(scope, 'Key') or kms.Key.from_key_arn",
            )
        validation.check_type(
            problems, "production_variants", production_variants, (list, tuple), "[ProductionVariant(...)]"
        )
        if async_inference is not None and validation.check_type(
            problems, "async_inference", async_inference, AsyncInference, "AsyncInference(output=...)"
        ):
            async_inference.validate(problems, "async_inference")
        problems.raise_if_any(self)
        self.async_inference: BoundAsyncInference | None = async_inference.bind(self) if async_inference else None
        self.kms_key = kms_key
        self._endpoint_names: list[str] = []
        self._validated_add(list(production_variants))
        per_stack.at_validation(self.stack_facts.stack, self._warn)
        self.resource = sagemaker.CfnEndpointConfig(
            self,
            "Resource",
            production_variants=[variant.render() for variant in self._variants],
            kms_key_id=kms_key.key_arn if kms_key else None,
            async_inference_config=self.async_inference.render() if self.async_inference else None,
        )
        self._endpoint_config_name: str = self.resource.attr_endpoint_config_name

    @property
    def endpoint_config_name(self) -> str:
        return self._endpoint_config_name

    @staticmethod
    def from_endpoint_config_name(scope: Construct, construct_id: str, name: str) -> IEndpointConfig:
        """An existing endpoint config in this stack's account and Region, by name."""
        found = identity(scope, construct_id, resource="endpoint-config", name=name, arn=None, shape="EndpointConfig")
        return _ImportedEndpointConfig(scope, construct_id, identity=found)

    @staticmethod
    def from_endpoint_config_arn(scope: Construct, construct_id: str, arn: str) -> IEndpointConfig:
        """An existing endpoint config, by ARN (in this stack's account and Region, as an endpoint needs)."""
        found = identity(scope, construct_id, resource="endpoint-config", name=None, arn=arn, shape="EndpointConfig")
        return _ImportedEndpointConfig(scope, construct_id, identity=found)

    @property
    def endpoint_config_arn(self) -> str:
        return self.resource.ref

    @property
    def production_variants(self) -> tuple[Variant, ...]:
        return tuple(self._variants)

    @property
    def kind(self) -> str:
        """The variants' kind: ``instance`` or ``serverless`` (one config holds one kind)."""
        return self._variants[0].kind

    @property
    def invocation_features(self) -> InvocationFeatures:
        """The variants' features, and asynchronous when the config has asynchronous inference."""
        features = [variant.invocation_features for variant in self._variants]
        return InvocationFeatures(
            asynchronous=self.async_inference is not None,
            **{
                name: any(getattr(feature, name) for feature in features)
                for name in ("multi_model", "inference_components", "direct_containers")
            },
        )

    def add_production_variant(self, variant: Variant) -> None:
        """Add a variant; raises `ValidationError` if it breaks a rule, leaving the config unchanged."""
        self._validated_add([variant])
        self.resource.production_variants = [variant.render() for variant in self._variants]

    def _validated_add(self, new: list[Variant]) -> None:
        problems = Problems()
        if not all(
            validation.check_type(
                problems,
                "production_variants",
                variant,
                Variant,
                "ProductionVariant(model=..., instance_type=...) or ServerlessProductionVariant(model=...)",
            )
            for variant in new
        ):
            problems.raise_if_any(self)
        before, candidate = self._variants, self._variants + new
        validation.check_count(
            problems,
            "production_variants",
            candidate,
            api_model.member("CreateEndpointConfigInput", "ProductionVariants"),
            "split the variants across endpoints",
        )
        for index, variant in enumerate(candidate):
            variant.validate(problems, f"production_variants[{index}]")
            if isinstance(variant.model, ModelBase):
                validation.check_same_environment(
                    problems,
                    f"production_variants[{index}].model",
                    self.stack_facts,
                    variant.model.stack_facts,
                    variant.model,
                )
        validation.check_unique(
            problems,
            "production_variants[*].variant_name",
            [variant.variant_name for variant in candidate],
            "give each variant its own variant_name",
        )
        if not problems.items:  # the kinds' exclusions read well-typed variants
            self._variants = candidate
            compatibility.check(problems, self)
            self._variants = before
        problems.raise_if_any(self)
        self._variants = candidate
        for variant in new:
            role = variant.model.execution_role
            if role is None:  # an imported model: its role is not ours to extend
                continue
            for name in self._endpoint_names:
                role.serve_endpoint(name)
            if self.async_inference is not None:
                self.async_inference.grant(role)

    def serve_endpoint(self, endpoint_name: str) -> None:
        """An endpoint serves this config: its models' roles may write that endpoint's logs (and only those)."""
        self._endpoint_names.append(endpoint_name)
        for variant in self._variants:
            if variant.model.execution_role is not None:
                variant.model.execution_role.serve_endpoint(endpoint_name)

    def _warn(self) -> None:
        for rule, message in self._soft_problems():
            validation.warn(self, rule, message)

    def _soft_problems(self) -> list[validation.Warning]:
        found = []
        weights = [variant.initial_variant_weight for variant in self._variants]
        if all(not validation.is_unresolved(weight) and weight == 0 for weight in weights):
            found.append((rules.NO_TRAFFIC, "every variant has weight 0, so the endpoint routes no traffic"))
        counts = [
            variant.initial_instance_count for variant in self._variants if isinstance(variant, ProductionVariant)
        ]
        if counts and not any(validation.is_unresolved(count) for count in counts) and sum(counts) == 1:
            found.append(
                (
                    rules.SINGLE_INSTANCE,
                    "the endpoint runs on one instance; use 2 or more for production so SageMaker can spread "
                    "them across Availability Zones",
                )
            )
        for variant in self._variants:
            if not isinstance(variant, ProductionVariant):
                continue
            storage = _local_storage_settings(variant, self.kms_key)
            if storage:  # a token instance type never matches
                found.append(
                    (
                        rules.LOCAL_INSTANCE_STORAGE,
                        f"{variant.variant_name}: {variant.instance_type} has local NVMe storage and no EBS volume, "
                        f"so {' and '.join(storage)} do not apply; SageMaker refuses a volume KMS key for "
                        "such types: drop them or choose an EBS-backed type",
                    )
                )
        networks = {
            (variant.model.network_isolation, tuple(variant.model.subnet_ids))
            for variant in self._variants
            if variant.model.execution_role is not None  # imported models: unknown, not compared
        }
        if len(networks) > 1:
            found.append(
                (
                    rules.MIXED_MODEL_NETWORKS,
                    "the variants' models differ in network isolation or subnets; models served by one endpoint "
                    "should share them",
                )
            )
        return found


def _local_storage_settings(variant: ProductionVariant, kms_key: kms.IKey | None) -> list[str]:
    """The EBS-only settings given for a variant whose type has local NVMe storage, if any."""
    if not variant.has_local_storage:
        return []
    given = {"volume_size_in_gb": variant.volume_size_in_gb is not None, "kms_key": kms_key is not None}
    return [name for name, is_given in given.items() if is_given]
