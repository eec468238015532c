"""Production variants: what every kind shares, and one class per kind (instances, inference-component
hosts, serverless).

A variant validates its own fields, renders its CloudFormation property, says how an endpoint serving it
is invoked and which CloudWatch metrics SageMaker publishes for it. Rules between a variant and the rest
of its config (what a kind refuses) live in `compatibility`, one table keyed by rule ID.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from aws_cdk import Duration
from aws_cdk import aws_sagemaker as sagemaker

from . import api_model, rules, validation
from .core_dump import CoreDump
from .errors import Problem, Problems, ValidationError
from .instance_type import InstanceType
from .llm import DOWNLOAD_TIMEOUT, STARTUP_TIMEOUT
from .model import IModel, InferenceExecutionMode, ModelBase

RESERVATIONS_ONLY = "capacity-reservations-only"  # the API's one CapacityReservationPreference
VARIANT = "ProductionVariant"
SERVERLESS = "ProductionVariantServerlessConfig"
MANAGED_SCALING = "ProductionVariantManagedInstanceScaling"
DEFAULT_VARIANT_NAME = "AllTraffic"
MEMORY_STEP_MB = 1024
DIRECT_MODE = InferenceExecutionMode.DIRECT

# Metrics SageMaker publishes per variant (namespace AWS/SageMaker unless /aws/sagemaker/Endpoints below).
INVOCATION_METRICS = frozenset(
    {"Invocations", "InvocationsPerInstance", "ModelLatency", "OverheadLatency", "Invocation4XXErrors",
     "Invocation5XXErrors", "ConcurrentRequestsPerModel"}
)  # fmt: skip
INSTANCE_METRICS = frozenset({"CPUUtilization", "MemoryUtilization", "DiskUtilization", "GPUUtilization",
                              "GPUMemoryUtilization"})  # fmt: skip
SERVERLESS_METRICS = frozenset(
    {"Invocations", "ModelLatency", "OverheadLatency", "Invocation4XXErrors", "Invocation5XXErrors",
     "ModelSetupTime", "MemoryUtilization", "ServerlessConcurrentExecutionsUtilization",
     "ServerlessProvisionedConcurrencyExecutions", "ServerlessProvisionedConcurrencyUtilization",
     "ServerlessProvisionedConcurrencyInvocations", "ServerlessProvisionedConcurrencySpilloverInvocations"}
)  # fmt: skip


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


class RoutingStrategy:
    """How a variant's instances share requests (``RoutingConfig.RoutingStrategy``)."""

    LEAST_OUTSTANDING_REQUESTS = "LEAST_OUTSTANDING_REQUESTS"
    RANDOM = "RANDOM"


@dataclass(frozen=True, kw_only=True)
class ManagedInstanceScaling:
    """SageMaker adds and removes instances as inference components need them (``ManagedInstanceScaling``).

    :param min_instance_count: the fewest instances; 0 (scale to zero) only on an inference-component host.
        Default: 1.
    :param max_instance_count: the most instances, at least 1.
    """

    max_instance_count: int
    min_instance_count: int = 1


@dataclass(frozen=True, kw_only=True)
class Variant(abc.ABC):
    """What every production variant has: a name unique in its config, and a share of the traffic.

    :param variant_name: unique within the endpoint. Default: ``AllTraffic``.
    :param initial_variant_weight: relative traffic weight; 0 sends the variant no traffic (for a shadow
        variant: the share of requests copied to it, relative to the production variant's weight). Default: 1.0.
    """

    variant_name: str = DEFAULT_VARIANT_NAME
    initial_variant_weight: float = 1.0

    kind: ClassVar[str]
    """``instance`` or ``serverless``: an endpoint cannot switch a live variant between kinds."""
    published_metrics: ClassVar[frozenset[str]]
    """The metric names SageMaker publishes for a variant of this kind (synchronous invocation)."""

    @property
    def models(self) -> tuple[IModel, ...]:
        """The models the variant serves: one, or none for an inference-component host."""
        return ()

    def validate(self, problems: Problems, prop: str) -> None:
        """Add this variant's own problems, with property names under ``prop``."""
        for model in self.models:
            validation.check_type(
                problems,
                f"{prop}.model",
                model,
                ModelBase,
                "a cdk_sagemaker_inference.Model or Model.from_model_name",
                expected_name="Model",
            )
        self._check_members(
            problems,
            prop,
            VARIANT,
            {
                "variant_name": ("VariantName", self.variant_name, "use letters, digits and hyphens, at most 63"),
                "initial_variant_weight": ("InitialVariantWeight", self.initial_variant_weight, "use a weight >= 0"),
            },
        )
        self._validate_kind(problems, prop)

    @abc.abstractmethod
    def _validate_kind(self, problems: Problems, prop: str) -> None:
        """The checks of this kind's own fields."""

    @abc.abstractmethod
    def render(self) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        """The CloudFormation property; call after `validate` found no problem."""

    @property
    def invocation_features(self) -> InvocationFeatures:
        """How calls reach this variant: a multi-model model names a ``TargetModel``, a Direct one a container."""
        models = [model for model in self.models if isinstance(model, ModelBase)]
        return InvocationFeatures(
            multi_model=any(model.is_multi_model for model in models),
            direct_containers=any(model.inference_execution_mode == DIRECT_MODE for model in models),
        )

    @staticmethod
    def _check_members(
        problems: Problems,
        prop: str,
        structure: str,
        members: dict[str, tuple[str, object, str]],
        optional: tuple[str, ...] = (),
    ) -> bool:
        """Each ``field: (API member, value, fix)`` against the API model's limits of ``structure`` (None only for
        the ``optional`` fields); True when all pass (relations between the fields can then be checked)."""
        before = len(problems.items)
        for field, (member, value, fix) in members.items():
            constraint = api_model.member(structure, member)
            if value is None and field not in optional:
                allowed = f"a value: {constraint.describe()}"
                problems.add(rules.WRONG_TYPE, f"{prop}.{field}", None, allowed, fix, api=member)
            validation.check_value(problems, f"{prop}.{field}", value, constraint, fix)
        return len(problems.items) == before


@dataclass(frozen=True, kw_only=True)
class InstanceVariant(Variant):
    """What a variant on a fleet of instances has (`ProductionVariant`, `InferenceComponentHostVariant`).

    :param instance_type: the instance type, e.g. ``InstanceType.ML_M5_LARGE``.
    :param initial_instance_count: instances at creation. Default: 1.
    :param volume_size_in_gb: the ML storage (EBS) volume per instance, in GB. Default: - SageMaker's.
    :param model_data_download_timeout: time to download and extract the model. Default: 30 minutes for a model
        given as ``llm``, else SageMaker's.
    :param container_startup_health_check_timeout: time for the container to pass /ping. Default: 30 minutes for
        a model given as ``llm``, else SageMaker's.
    :param inference_ami_version: the AMI (GPU driver and CUDA) version. Default: - SageMaker's.
    :param routing_strategy: `RoutingStrategy` among the instances. Default: - SageMaker's (least outstanding
        requests).
    :param managed_instance_scaling: let SageMaker scale the instances (with inference components).
        Default: - none.
    :param instance_provision_timeout: how long SageMaker retries an instance short of capacity, 5 to 60 minutes
        (``VariantInstanceProvisionTimeoutInSeconds``). Default: - SageMaker's.
    :param core_dump: keep crashed containers' core dumps in S3 (`CoreDump`). Default: - none.
    :param capacity_reservation_arn: an ML capacity reservation (e.g. a training plan's ARN) the instances
        launch into, and only into (``capacity-reservations-only``). Default: - on-demand capacity.
    :param fallback_instance_types: up to 4 types SageMaker provisions, in this order, when ``instance_type``
        has no capacity (``InstancePools``, ``instance_type`` at priority 1), at creation and when scaling out.
        Each must be alike ``instance_type`` (same accelerator kind, GPU count where known, local storage), since
        GPU checks, alarm thresholds and volume settings follow ``instance_type``. Default: - none.
    """

    instance_type: InstanceType
    initial_instance_count: int = 1
    volume_size_in_gb: int | None = None
    model_data_download_timeout: Duration | None = None
    container_startup_health_check_timeout: Duration | None = None
    inference_ami_version: str | None = None
    routing_strategy: str | None = None
    managed_instance_scaling: ManagedInstanceScaling | None = None
    instance_provision_timeout: Duration | None = None
    core_dump: CoreDump | None = None
    capacity_reservation_arn: str | None = None
    fallback_instance_types: Sequence[InstanceType] | None = None

    kind: ClassVar[str] = "instance"
    published_metrics: ClassVar[frozenset[str]] = INVOCATION_METRICS | INSTANCE_METRICS
    scales_to_zero: ClassVar[bool] = False

    def _validate_kind(self, problems: Problems, prop: str) -> None:
        if validation.check_type(
            problems, f"{prop}.instance_type", self.instance_type, InstanceType, "InstanceType.of('ml.m5.large')"
        ):
            validation.check_instance_type(problems, f"{prop}.instance_type", self.instance_type.name)
        download = f"{prop}.model_data_download_timeout"
        startup = f"{prop}.container_startup_health_check_timeout"
        provision = f"{prop}.instance_provision_timeout"
        self._check_members(
            problems,
            prop,
            VARIANT,
            {
                "initial_instance_count": ("InitialInstanceCount", self.initial_instance_count, "start with 1 or more"),
                "volume_size_in_gb": ("VolumeSizeInGB", self.volume_size_in_gb, "choose a size in range"),
                "model_data_download_timeout": (
                    "ModelDataDownloadTimeoutInSeconds",
                    validation.seconds_of(problems, download, self.model_data_download_timeout),
                    "choose a Duration in range",
                ),
                "container_startup_health_check_timeout": (
                    "ContainerStartupHealthCheckTimeoutInSeconds",
                    validation.seconds_of(problems, startup, self.container_startup_health_check_timeout),
                    "choose a Duration in range",
                ),
                "inference_ami_version": ("InferenceAmiVersion", self.inference_ami_version, "pick a listed version"),
                "instance_provision_timeout": (
                    "VariantInstanceProvisionTimeoutInSeconds",
                    validation.seconds_of(problems, provision, self.instance_provision_timeout),
                    "choose a Duration from 5 to 60 minutes",
                ),
            },
            optional=(
                "instance_provision_timeout",
                "volume_size_in_gb",
                "model_data_download_timeout",
                "container_startup_health_check_timeout",
                "inference_ami_version",
            ),
        )
        validation.check_value(
            problems,
            f"{prop}.routing_strategy",
            self.routing_strategy,
            api_model.member("ProductionVariantRoutingConfig", "RoutingStrategy"),
            "use a RoutingStrategy value",
        )
        validation.check_value(
            problems,
            f"{prop}.capacity_reservation_arn",
            self.capacity_reservation_arn,
            api_model.member("ProductionVariantCapacityReservationConfig", "MlReservationArn"),
            "copy the reservation's ARN, e.g. a training plan's from aws sagemaker list-training-plans",
        )
        if self.fallback_instance_types is not None:
            self._validate_fallbacks(problems, f"{prop}.fallback_instance_types", self.fallback_instance_types)
        if self.core_dump is not None and validation.check_type(
            problems,
            f"{prop}.core_dump",
            self.core_dump,
            CoreDump,
            "CoreDump(destination=S3Location(bucket, 'dumps/'))",
        ):
            self.core_dump.validate(problems, f"{prop}.core_dump")
        if self.managed_instance_scaling is not None and validation.check_type(
            problems,
            f"{prop}.managed_instance_scaling",
            self.managed_instance_scaling,
            ManagedInstanceScaling,
            "ManagedInstanceScaling(min_instance_count=1, max_instance_count=4)",
        ):
            self._validate_managed_scaling(problems, f"{prop}.managed_instance_scaling", self.managed_instance_scaling)

    def _validate_fallbacks(self, problems: Problems, prop: str, fallbacks: object) -> None:
        if not validation.check_type(problems, prop, fallbacks, (list, tuple), "[InstanceType.of('ml.g6.xlarge')]"):
            return
        assert isinstance(fallbacks, (list, tuple))
        pools = api_model.member(VARIANT, "InstancePools")
        validation.check_count(problems, prop, [self.instance_type, *fallbacks], pools, "give at most 4 fallbacks")
        for index, fallback in enumerate(fallbacks):
            where = f"{prop}[{index}]"
            if not validation.check_type(problems, where, fallback, InstanceType, "InstanceType.of('ml.g6.xlarge')"):
                continue
            validation.check_instance_type(problems, where, fallback.name)
            if validation.is_unresolved(fallback.name) or not isinstance(self.instance_type, InstanceType):
                continue
            unlike = _unlike(self.instance_type, fallback)
            if fallback == self.instance_type or fallback in fallbacks[:index]:
                unlike = "it is listed already"
            if unlike:
                problems.add(
                    rules.INSTANCE_POOLS,
                    where,
                    fallback.name,
                    f"a type alike {self.instance_type.name} and listed once: {unlike}",
                    "choose a type of the same kind, or serve the other hardware from its own variant",
                )

    def _validate_managed_scaling(self, problems: Problems, prop: str, scaling: ManagedInstanceScaling) -> None:
        in_range = self._check_members(
            problems,
            prop,
            MANAGED_SCALING,
            {
                "min_instance_count": ("MinInstanceCount", scaling.min_instance_count, "choose 0 or more"),
                "max_instance_count": ("MaxInstanceCount", scaling.max_instance_count, "choose 1 or more"),
            },
        )
        counts = (scaling.min_instance_count, self.initial_instance_count, scaling.max_instance_count)
        if not in_range or any(validation.is_unresolved(count) for count in counts):
            return
        low, initial, high = counts
        if not low <= high:
            problems.add(
                rules.MANAGED_INSTANCE_SCALING,
                f"{prop}.min_instance_count",
                low,
                f"at most {high}",
                "lower the minimum",
            )
        elif isinstance(initial, int) and not low <= initial <= high:
            problems.add(
                rules.MANAGED_INSTANCE_SCALING,
                "initial_instance_count",
                initial,
                f"from min_instance_count ({low}) to max_instance_count ({high})",
                "start within the managed scaling range",
            )
        if low == 0 and not self.scales_to_zero:
            problems.add(
                rules.MANAGED_INSTANCE_SCALING,
                f"{prop}.min_instance_count",
                0,
                "at least 1: only an endpoint that hosts inference components scales to zero instances",
                "use an InferenceComponentHostVariant, or a minimum of 1",
            )

    def _instance_properties(self) -> dict[str, object]:
        scaling = self.managed_instance_scaling
        serves_llm = any(getattr(model, "llm", None) is not None for model in self.models)
        pools = [self.instance_type, *self.fallback_instance_types] if self.fallback_instance_types else []
        return {
            "variant_name": self.variant_name,
            "instance_type": None if pools else self.instance_type.name,
            "instance_pools": [
                sagemaker.CfnEndpointConfig.InstancePoolProperty(instance_type=pool.name, priority=priority)
                for priority, pool in enumerate(pools, start=1)
            ]
            or None,
            "initial_instance_count": self.initial_instance_count,
            "initial_variant_weight": self.initial_variant_weight,
            "volume_size_in_gb": self.volume_size_in_gb,
            "model_data_download_timeout_in_seconds": validation.rendered_seconds(
                self.model_data_download_timeout or (DOWNLOAD_TIMEOUT if serves_llm else None)
            ),
            "container_startup_health_check_timeout_in_seconds": validation.rendered_seconds(
                self.container_startup_health_check_timeout or (STARTUP_TIMEOUT if serves_llm else None)
            ),
            "inference_ami_version": self.inference_ami_version,
            "variant_instance_provision_timeout_in_seconds": validation.rendered_seconds(
                self.instance_provision_timeout
            ),
            "core_dump_config": self.core_dump.render() if self.core_dump else None,
            "capacity_reservation_config": sagemaker.CfnEndpointConfig.CapacityReservationConfigProperty(
                ml_reservation_arn=self.capacity_reservation_arn,
                capacity_reservation_preference=RESERVATIONS_ONLY,
            )
            if self.capacity_reservation_arn
            else None,
            "routing_config": sagemaker.CfnEndpointConfig.RoutingConfigProperty(routing_strategy=self.routing_strategy)
            if self.routing_strategy
            else None,
            "managed_instance_scaling": sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                status="ENABLED",
                min_instance_count=scaling.min_instance_count,
                max_instance_count=scaling.max_instance_count,
            )
            if scaling
            else None,
        }

    @property
    def has_local_storage(self) -> bool:
        """The type has local NVMe storage and no EBS volume: the d families and g5 the guide names (not exhaustive)."""
        return self.instance_type.has_local_storage


def _unlike(primary: InstanceType, fallback: InstanceType) -> str | None:
    """How ``fallback`` differs from ``primary`` in what the library derives from the type, or None."""
    for name, what in (("is_gpu", "GPUs"), ("is_neuron", "Inferentia or Trainium"), ("has_local_storage", "NVMe")):
        if getattr(primary, name) != getattr(fallback, name):
            return f"{what} on one type and not the other"
    counts = (primary.gpu_count, fallback.gpu_count)
    if None not in counts and counts[0] != counts[1]:
        return f"{counts[1]} GPUs where {primary.name} has {counts[0]}"
    return None


V = TypeVar("V", bound=type)


def _names_the_kind_that_takes_it(cls: V) -> V:
    """An argument another variant kind takes (``instance_type`` to a serverless variant) is a `ValidationError`
    saying which kinds take it, instead of Python's unexpected-keyword TypeError."""
    init: Callable[..., None] = cls.__init__  # type: ignore[misc]

    @functools.wraps(init)
    def __init__(self: Any, **kwargs: Any) -> None:
        own = _arguments(cls)
        problems = []
        for name in sorted(set(kwargs) - own):
            takers = [kind.__name__ for kind in _VARIANT_KINDS if name in _arguments(kind)]
            fix = f"use {' or '.join(takers)} for {name}" if takers else "use one of those arguments"
            allowed = f"an argument of {cls.__name__}: {', '.join(sorted(own))}"
            problems.append(Problem(rules.WRONG_TYPE, name, kwargs[name], allowed, fix))
        if problems:
            raise ValidationError(cls.__name__, problems)
        init(self, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]
    return cls


def _arguments(cls: type) -> set[str]:
    return {field.name for field in fields(cls)}


@_names_the_kind_that_takes_it
@dataclass(frozen=True, kw_only=True)
class ProductionVariant(InstanceVariant):
    """A real-time (or asynchronous) variant serving one model on a fleet of instances.

    :param model: the model the variant serves: a `Model`, or an imported `IModel` (whose role must already
        hold what the endpoint needs).
    :param enable_ssm_access: open shells into the containers with AWS Systems Manager (``EnableSSMAccess``);
        the model's role gets the four ``ssmmessages`` channel actions. For development and test only (a
        warning says why); the account must be allow-listed, and a network-isolated model cannot have it.
        Default: False.
    """

    model: IModel
    enable_ssm_access: bool = False

    def _validate_kind(self, problems: Problems, prop: str) -> None:
        super()._validate_kind(problems, prop)
        validation.check_type(problems, f"{prop}.enable_ssm_access", self.enable_ssm_access, bool, "True or False")

    @property
    def models(self) -> tuple[IModel, ...]:
        return (self.model,)

    def render(self) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            model_name=self.model.model_name,
            enable_ssm_access=self.enable_ssm_access or None,
            **self._instance_properties(),  # type: ignore[arg-type]
        )


@_names_the_kind_that_takes_it
@dataclass(frozen=True, kw_only=True)
class InferenceComponentHostVariant(InstanceVariant):
    """The instances of an endpoint that hosts `InferenceComponent` s: no model of its own.

    Its config needs an execution role (``EndpointConfig(execution_role=...)``), which each component's
    model must share. With ``managed_instance_scaling`` SageMaker places and scales instances as the
    components' copies need them; a minimum of 0 lets the endpoint scale to zero instances.
    """

    kind: ClassVar[str] = "instance"
    scales_to_zero: ClassVar[bool] = True

    @property
    def invocation_features(self) -> InvocationFeatures:
        return InvocationFeatures(inference_components=True)

    def render(self) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            **self._instance_properties(),  # type: ignore[arg-type]
        )


@_names_the_kind_that_takes_it
@dataclass(frozen=True, kw_only=True)
class ServerlessProductionVariant(Variant):
    """A serverless variant: SageMaker runs the model on demand, with no instances to manage.

    Serverless has no GPU, no VPC, no network isolation, one variant per endpoint and no EBS volume; the
    config's ``kms_key`` encrypts SageMaker's copy of the image. See `compatibility` for every exclusion.

    :param model: the model the variant serves (one container, not multi-model).

    :param memory_size_in_mb: memory per concurrent execution, 1024 to 6144 in steps of 1024 (vCPUs scale
        with it); at least the model's size. Default: 2048.
    :param max_concurrency: concurrent executions before calls are throttled, 1 to 200. Default: 20.
    :param provisioned_concurrency: executions kept warm (no cold start), at most ``max_concurrency``.
        Default: - none (on demand).
    """

    model: IModel
    memory_size_in_mb: int = 2048
    max_concurrency: int = 20
    provisioned_concurrency: int | None = None

    kind: ClassVar[str] = "serverless"
    published_metrics: ClassVar[frozenset[str]] = SERVERLESS_METRICS

    @property
    def models(self) -> tuple[IModel, ...]:
        return (self.model,)

    def _validate_kind(self, problems: Problems, prop: str) -> None:
        in_range = self._check_members(
            problems,
            prop,
            SERVERLESS,
            {
                "memory_size_in_mb": ("MemorySizeInMB", self.memory_size_in_mb, "choose 1024 to 6144"),
                "max_concurrency": ("MaxConcurrency", self.max_concurrency, "choose 1 to 200"),
                "provisioned_concurrency": (
                    "ProvisionedConcurrency",
                    self.provisioned_concurrency,
                    "choose 1 to max_concurrency",
                ),
            },
            optional=("provisioned_concurrency",),
        )
        if not in_range:  # the relations below need numbers in range
            return
        memory, maximum, provisioned = self.memory_size_in_mb, self.max_concurrency, self.provisioned_concurrency
        if not validation.is_unresolved(memory) and memory % MEMORY_STEP_MB:
            problems.add(
                rules.SERVERLESS_MEMORY_STEP,
                f"{prop}.memory_size_in_mb",
                memory,
                f"a multiple of {MEMORY_STEP_MB}: 1024, 2048, 3072, 4096, 5120 or 6144",
                f"round to {max(MEMORY_STEP_MB, round(memory / MEMORY_STEP_MB) * MEMORY_STEP_MB)}",
            )
        known = provisioned is not None and not any(validation.is_unresolved(v) for v in (provisioned, maximum))
        if known and provisioned > maximum:  # type: ignore[operator]  # both ints: checked above
            problems.add(
                rules.PROVISIONED_CONCURRENCY,
                f"{prop}.provisioned_concurrency",
                provisioned,
                f"at most max_concurrency ({maximum})",
                "lower provisioned_concurrency or raise max_concurrency",
            )

    def render(self) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=self.variant_name,
            model_name=self.model.model_name,
            initial_variant_weight=self.initial_variant_weight,
            serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                memory_size_in_mb=self.memory_size_in_mb,
                max_concurrency=self.max_concurrency,
                provisioned_concurrency=self.provisioned_concurrency,
            ),
        )


_VARIANT_KINDS = (ProductionVariant, ServerlessProductionVariant, InferenceComponentHostVariant)
