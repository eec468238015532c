"""Endpoint configs for real-time instance variants."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration, Resource
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, per_stack, rules, validation
from .errors import Problems
from .instance_type import InstanceType
from .model import Model

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

VARIANT = "ProductionVariant"
DEFAULT_VARIANT_NAME = "AllTraffic"
LOCAL_STORAGE_TYPE = re.compile(r"ml\.([a-z]+\d+[a-z]*d[a-z]*|g5)\.")


@dataclass(frozen=True)
class InvocationFeatures:
    """How an endpoint serving a config is invoked; a smoke test checks its options against these.

    :param asynchronous: only InvokeEndpointAsync (the config has AsyncInferenceConfig).
    :param multi_model: calls name a ``TargetModel``.
    :param inference_components: calls name an ``InferenceComponentName``.
    :param direct_containers: calls name a ``TargetContainerHostname`` (multi-container, Direct mode).
    """

    asynchronous: bool = False
    multi_model: bool = False
    inference_components: bool = False
    direct_containers: bool = False


@dataclass(frozen=True, kw_only=True)
class ProductionVariant:
    """One real-time variant: a model on a fleet of instances, with a share of the traffic.

    :param model: the model the variant serves.
    :param instance_type: the instance type, e.g. ``InstanceType.ML_M5_LARGE``.
    :param variant_name: unique within the endpoint. Default: ``AllTraffic``.
    :param initial_instance_count: instances at creation. Default: 1.
    :param initial_variant_weight: relative traffic weight; 0 sends the variant no traffic. Default: 1.0.
    :param volume_size_in_gb: the ML storage (EBS) volume per instance, in GB. Default: - SageMaker's.
    :param model_data_download_timeout: time to download and extract the model. Default: - SageMaker's.
    :param container_startup_health_check_timeout: time for the container to pass /ping.
        Default: - SageMaker's.
    :param inference_ami_version: the AMI (GPU driver and CUDA) version. Default: - SageMaker's.
    """

    model: Model
    instance_type: InstanceType
    variant_name: str = DEFAULT_VARIANT_NAME
    initial_instance_count: int = 1
    initial_variant_weight: float = 1.0
    volume_size_in_gb: int | None = None
    model_data_download_timeout: Duration | None = None
    container_startup_health_check_timeout: Duration | None = None
    inference_ami_version: str | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        """Add this variant's problems, with property names under ``prop``."""
        validation.check_type(problems, f"{prop}.model", self.model, Model, "a cdk_sagemaker_inference.Model")
        if validation.check_type(
            problems, f"{prop}.instance_type", self.instance_type, InstanceType, "InstanceType.of('ml.m5.large')"
        ):
            validation.check_instance_type(problems, f"{prop}.instance_type", self.instance_type.name)
        limits = {
            "variant_name": (self.variant_name, "VariantName", "use letters, digits and hyphens, at most 63"),
            "initial_instance_count": (self.initial_instance_count, "InitialInstanceCount", "start with 1 or more"),
            "initial_variant_weight": (self.initial_variant_weight, "InitialVariantWeight", "use a weight >= 0"),
            "volume_size_in_gb": (self.volume_size_in_gb, "VolumeSizeInGB", "choose a size in range"),
            "model_data_download_timeout": (
                validation.seconds_of(
                    problems, f"{prop}.model_data_download_timeout", self.model_data_download_timeout
                ),
                "ModelDataDownloadTimeoutInSeconds",
                "choose a Duration in range",
            ),
            "container_startup_health_check_timeout": (
                validation.seconds_of(
                    problems,
                    f"{prop}.container_startup_health_check_timeout",
                    self.container_startup_health_check_timeout,
                ),
                "ContainerStartupHealthCheckTimeoutInSeconds",
                "choose a Duration in range",
            ),
            "inference_ami_version": (self.inference_ami_version, "InferenceAmiVersion", "pick a listed version"),
        }
        for name, (value, api_member, fix) in limits.items():
            validation.check_value(problems, f"{prop}.{name}", value, api_model.member(VARIANT, api_member), fix)

    def render(self) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        """The CloudFormation property; call after `validate` found no problem."""
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=self.variant_name,
            model_name=self.model.model_name,
            instance_type=self.instance_type.name,
            initial_instance_count=self.initial_instance_count,
            initial_variant_weight=self.initial_variant_weight,
            volume_size_in_gb=self.volume_size_in_gb,
            model_data_download_timeout_in_seconds=_seconds(self.model_data_download_timeout),
            container_startup_health_check_timeout_in_seconds=_seconds(self.container_startup_health_check_timeout),
            inference_ami_version=self.inference_ami_version,
        )


def _local_storage_settings(variant: ProductionVariant, kms_key: kms.IKey | None) -> list[str]:
    """The EBS-only settings given for a variant whose type has local NVMe storage, if any.

    The guide names the d families (m5d, c5d, r5d, ...) and g5; it is not an exhaustive list.
    """
    if not LOCAL_STORAGE_TYPE.match(variant.instance_type.name):
        return []
    given = {"volume_size_in_gb": variant.volume_size_in_gb is not None, "kms_key": kms_key is not None}
    return [name for name, is_given in given.items() if is_given]


def _seconds(duration: Duration | None) -> float | None:
    """Whole seconds, or the token of a Duration known only at deploy time (validated before)."""
    return validation.seconds_of(Problems(), "", duration)


class EndpointConfig(Resource):
    """An endpoint config (``AWS::SageMaker::EndpointConfig``) of 1 to 10 real-time instance variants.

    It has no physical name: every property is create-only, so any change creates a new config that
    the endpoint then switches to. Add variants later with `add_production_variant`.

    :param production_variants: the variants; at least one.
    :param kms_key: encrypts the instances' ML storage volumes. Default: - an AWS-managed key.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        production_variants: Sequence[ProductionVariant],
        kms_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.stack_facts = per_stack.facts(scope)
        self._variants: list[ProductionVariant] = []
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
        problems.raise_if_any(self)
        self.kms_key = kms_key
        self._endpoint_names: list[str] = []
        self._validated_add(list(production_variants))
        per_stack.at_validation(self.stack_facts.stack, self._warn)
        self.resource = sagemaker.CfnEndpointConfig(
            self,
            "Resource",
            production_variants=[variant.render() for variant in self._variants],
            kms_key_id=kms_key.key_arn if kms_key else None,
        )
        self.endpoint_config_name: str = self.resource.attr_endpoint_config_name

    @property
    def endpoint_config_arn(self) -> str:
        return self.resource.ref

    @property
    def production_variants(self) -> tuple[ProductionVariant, ...]:
        return tuple(self._variants)

    @property
    def invocation_features(self) -> InvocationFeatures:
        """Real-time instance variants of single-container models: plain synchronous InvokeEndpoint."""
        return InvocationFeatures()

    def add_production_variant(self, variant: ProductionVariant) -> None:
        """Add a variant; raises `ValidationError` if it breaks a rule, leaving the config unchanged."""
        self._validated_add([variant])
        self.resource.production_variants = [variant.render() for variant in self._variants]

    def _validated_add(self, new: list[ProductionVariant]) -> None:
        problems = Problems()
        if not all(
            validation.check_type(
                problems,
                "production_variants",
                variant,
                ProductionVariant,
                "ProductionVariant(model=..., instance_type=...)",
            )
            for variant in new
        ):
            problems.raise_if_any(self)
        candidate = self._variants + new
        validation.check_count(
            problems,
            "production_variants",
            candidate,
            api_model.member("CreateEndpointConfigInput", "ProductionVariants"),
            "split the variants across endpoints",
        )
        for index, variant in enumerate(candidate):
            variant.validate(problems, f"production_variants[{index}]")
            if isinstance(variant.model, Model):
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
        problems.raise_if_any(self)
        self._variants = candidate
        for name in self._endpoint_names:
            for variant in new:
                variant.model.execution_role.serve_endpoint(name)

    def serve_endpoint(self, endpoint_name: str) -> None:
        """An endpoint serves this config: its models' roles may write that endpoint's logs (and only those)."""
        self._endpoint_names.append(endpoint_name)
        for variant in self._variants:
            variant.model.execution_role.serve_endpoint(endpoint_name)

    def _warn(self) -> None:
        for rule, message in self._soft_problems():
            validation.warn(self, rule, message)

    def _soft_problems(self) -> list[validation.Warning]:
        found = []
        weights = [variant.initial_variant_weight for variant in self._variants]
        if all(not validation.is_unresolved(weight) and weight == 0 for weight in weights):
            found.append((rules.NO_TRAFFIC, "every variant has weight 0, so the endpoint routes no traffic"))
        counts = [variant.initial_instance_count for variant in self._variants]
        if not any(validation.is_unresolved(count) for count in counts) and sum(counts) == 1:
            found.append(
                (
                    rules.SINGLE_INSTANCE,
                    "the endpoint runs on one instance; use 2 or more for production so SageMaker can spread "
                    "them across Availability Zones",
                )
            )
        for variant in self._variants:
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
        networks = {(variant.model.network_isolation, tuple(variant.model.subnet_ids)) for variant in self._variants}
        if len(networks) > 1:
            found.append(
                (
                    rules.MIXED_MODEL_NETWORKS,
                    "the variants' models differ in network isolation or subnets; models served by one endpoint "
                    "should share them",
                )
            )
        return found
