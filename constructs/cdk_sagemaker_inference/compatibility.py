"""What a variant kind refuses of the rest of its config: one table, keyed by rule ID, checked by the config.

Each entry names both features in its message and the guide's page through its rule (``docs/rules.md``).
Features of the variants' models (multi-model, several containers, uncompressed data) and of the config
(asynchronous inference, a shadow variant, data capture, inference components) meet here, not in the constructs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from . import rules
from .async_inference import BoundAsyncInference
from .data_capture import DataCapture
from .errors import Problems
from .explainer import ClarifyExplainer
from .instance_type import InstanceType
from .model import Model, ModelBase
from .model_data import MultiModelData
from .per_stack import StackFacts
from .rules import Rule
from .variants import (
    InferenceComponentHostVariant,
    InstanceVariant,
    ProductionVariant,
    ServerlessProductionVariant,
    Variant,
)


class CheckedConfig(Protocol):
    """What the table reads of an endpoint config (`endpoint_config.EndpointConfig` is one)."""

    stack_facts: StackFacts
    async_inference: BoundAsyncInference | None
    data_capture: DataCapture | None
    explainer: ClarifyExplainer | None
    network_isolation: bool
    shadow_production_variants: tuple[ProductionVariant, ...]

    @property
    def production_variants(self) -> tuple[Variant, ...]: ...

    @property
    def hosts_inference_components(self) -> bool: ...


@dataclass(frozen=True)
class Exclusion:
    """``offends(config, variant)`` is true where the variant's kind refuses something of the config."""

    rule: Rule
    kind: type[Variant] | tuple[type[Variant], ...]
    offends: Callable[[CheckedConfig, Variant], bool]
    prop: str  # under the variant's property path, or "" for the variant itself
    shown: Callable[[CheckedConfig, Variant], object]
    allowed: str
    fix: str


def _models(variant: Variant) -> list[ModelBase]:
    """The variant's models this library knows the insides of (an imported model's are unknown)."""
    return [model for model in variant.models if isinstance(model, ModelBase)]


def _any_model(variant: Variant, feature: str) -> bool:
    return any(getattr(model, feature) for model in _models(variant))


def _ssm(variant: Variant) -> bool:
    return isinstance(variant, ProductionVariant) and variant.enable_ssm_access is True


def _several_containers(variant: Variant) -> bool:
    return any(model.container_count > 1 for model in _models(variant))


def _multi_gpu(variant: Variant) -> bool:
    return isinstance(variant, InstanceVariant) and variant.instance_type.has_multiple_gpus


def _multi_model_images_not_triton(variant: Variant) -> list[str]:
    """The multi-model containers of a GPU variant whose images are known not to be Triton."""
    if not (isinstance(variant, InstanceVariant) and variant.instance_type.is_gpu):
        return []
    containers = [item for model in _models(variant) if isinstance(model, Model) for item in model.containers]
    multi_model = [item for item in containers if isinstance(item.model_data, MultiModelData)]
    return [str(item.image) for item in multi_model if item.image.is_triton is False]


def _foreign_repositories(config: CheckedConfig, variant: Variant) -> list[str]:
    """The accounts of the variant's own image repositories that differ from the config's literal account."""
    account = config.stack_facts.literal("account")
    containers = [item for model in _models(variant) if isinstance(model, Model) for item in model.containers]
    found = [item.image.repository_account for item in containers]
    return [other for other in found if account and other and other != account]


def _llm_gpus_missing(variant: Variant) -> list[str]:
    """The variant's large language models that need more GPUs than its instance type has (or any, on a CPU)."""
    if not isinstance(variant, InstanceVariant) or not isinstance(variant.instance_type, InstanceType):
        return []
    instance_type = variant.instance_type
    missing = []
    for model in _models(variant):
        llm = model.llm
        if llm is None:
            continue
        wanted = llm.gpus if isinstance(llm.gpus, int) else 1
        available = 0 if not instance_type.is_gpu else instance_type.gpu_count
        if available is not None and wanted > available:
            missing.append(f"{wanted} GPU(s) on {instance_type.name} ({available})")
    return missing


def _has_shadow(config: CheckedConfig) -> bool:
    return bool(config.shadow_production_variants)


EXCLUSIONS = (
    Exclusion(
        rules.SERVERLESS_SINGLE_VARIANT,
        ServerlessProductionVariant,
        lambda config, variant: len(config.production_variants) > 1,
        "",
        lambda config, variant: f"{len(config.production_variants)} variants",
        "serverless with exactly one variant: serverless refuses multiple production variants",
        "give the serverless variant an endpoint of its own",
    ),
    Exclusion(
        rules.SERVERLESS_NO_VPC,
        ServerlessProductionVariant,
        lambda config, variant: any(model.vpc is not None for model in variant.models),
        ".model.vpc",
        lambda config, variant: "a VPC",
        "serverless without VPC configuration: serverless refuses a model in a VPC",
        "use a model without vpc=, or an instance variant (ProductionVariant)",
    ),
    Exclusion(
        rules.SERVERLESS_NO_NETWORK_ISOLATION,
        ServerlessProductionVariant,
        lambda config, variant: any(model.network_isolation for model in variant.models),
        ".model.network_isolation",
        lambda config, variant: True,
        "serverless without network isolation: serverless refuses network isolation",
        "use a model with network_isolation=False, or an instance variant (ProductionVariant)",
    ),
    Exclusion(
        rules.SERVERLESS_NO_PRIVATE_REGISTRY,
        ServerlessProductionVariant,
        lambda config, variant: _any_model(variant, "private_registry"),
        ".model.container",
        lambda config, variant: "an image in a private Docker registry",
        "serverless without private Docker registries: serverless refuses them",
        "push the image to Amazon ECR, or serve it from an instance variant (ProductionVariant)",
    ),
    Exclusion(
        rules.SERVERLESS_NO_MARKETPLACE,
        ServerlessProductionVariant,
        lambda config, variant: _any_model(variant, "is_marketplace"),
        ".model.model_package",
        lambda config, variant: "an AWS Marketplace model package",
        "serverless without AWS Marketplace model packages: serverless refuses them",
        "serve the package from an instance variant (ProductionVariant)",
    ),
    Exclusion(
        rules.LLM_GPUS,
        ProductionVariant,
        lambda config, variant: bool(_llm_gpus_missing(variant)),
        ".instance_type",
        lambda config, variant: _llm_gpus_missing(variant),
        "an NVIDIA GPU type with at least the GPUs the model's llm.gpus asks for (counts from the SageMaker Python "
        "SDK's instance_gpu_info; a type it does not list is not checked)",
        "choose a GPU type with more GPUs, or lower llm.gpus",
    ),
    Exclusion(
        rules.SSM_NO_NETWORK_ISOLATION,
        ProductionVariant,
        lambda config, variant: (
            _ssm(variant) and (config.network_isolation or _any_model(variant, "network_isolation"))
        ),
        ".enable_ssm_access",
        lambda config, variant: True,
        "SSM access without network isolation: SageMaker cannot open SSM sessions into isolated containers",
        "turn network isolation off for this development variant, or drop enable_ssm_access",
    ),
    Exclusion(
        rules.SERVERLESS_NO_ASYNC,
        ServerlessProductionVariant,
        lambda config, variant: config.async_inference is not None,
        "",
        lambda config, variant: "serverless with async_inference",
        "asynchronous inference on instance variants only: serverless refuses AsyncInferenceConfig",
        "drop async_inference, or serve the model from a ProductionVariant",
    ),
    Exclusion(
        rules.SERVERLESS_NO_MULTI_MODEL,
        ServerlessProductionVariant,
        lambda config, variant: _any_model(variant, "is_multi_model"),
        ".model",
        lambda config, variant: "a multi-model model",
        "serverless with a single-model container: serverless refuses multi-model endpoints",
        "serve the multi-model model from a ProductionVariant",
    ),
    Exclusion(
        rules.SERVERLESS_SINGLE_CONTAINER,
        ServerlessProductionVariant,
        lambda config, variant: _several_containers(variant),
        ".model",
        lambda config, variant: f"a model of {variant.models[0].container_count} containers",
        "serverless with one container: serverless refuses serial pipelines and multi-container models",
        "serve the pipeline from a ProductionVariant",
    ),
    Exclusion(
        rules.SERVERLESS_IMAGE_ACCOUNT,
        ServerlessProductionVariant,
        lambda config, variant: bool(_foreign_repositories(config, variant)),
        ".model",
        lambda config, variant: f"an image repository in account {', '.join(_foreign_repositories(config, variant))}",
        "serverless with its own image in an ECR repository of the endpoint's account (or a SageMaker-provided image)",
        "replicate the image to a repository of this account (ECR replication), or use a ProductionVariant",
    ),
    Exclusion(
        rules.UNCOMPRESSED_DATA,
        ServerlessProductionVariant,
        lambda config, variant: _any_model(variant, "uncompressed_data"),
        ".model",
        lambda config, variant: "uncompressed model data (ModelDataSource)",
        "serverless with compressed model data: serverless refuses ModelDataSource",
        "use ModelData.from_bucket / from_local_directory (a .tar.gz), or a ProductionVariant",
    ),
    Exclusion(
        rules.UNCOMPRESSED_DATA,
        Variant,
        lambda config, variant: _any_model(variant, "uncompressed_data") and _any_model(variant, "is_multi_model"),
        ".model",
        lambda config, variant: "multi-model and uncompressed model data in one model",
        "uncompressed model data (ModelDataSource) not on a multi-model endpoint",
        "give the pipeline's other containers .tar.gz model data",
    ),
    Exclusion(
        rules.MULTI_MODEL_GPU,
        InstanceVariant,
        lambda config, variant: _any_model(variant, "is_multi_model") and _multi_gpu(variant),
        ".instance_type",
        lambda config, variant: variant.instance_type.name,  # type: ignore[attr-defined]
        "a single-GPU instance type for a multi-model endpoint on GPU (e.g. ml.g5.xlarge, ml.g4dn.2xlarge)",
        "choose a single-GPU type, or a CPU type",
    ),
    Exclusion(
        rules.MULTI_MODEL_GPU,
        InstanceVariant,
        lambda config, variant: bool(_multi_model_images_not_triton(variant)),
        ".model",
        lambda config, variant: _multi_model_images_not_triton(variant),
        "a Triton Inference Server image for a multi-model endpoint on GPU (the only container SageMaker supports "
        "there)",
        "use SageMaker's sagemaker-tritonserver image for the Region, or a CPU instance type",
    ),
    Exclusion(
        rules.MULTI_MODEL_INSTANCE,
        InstanceVariant,
        lambda config, variant: _any_model(variant, "is_multi_model") and variant.instance_type.is_neuron,  # type: ignore[attr-defined]
        ".instance_type",
        lambda config, variant: variant.instance_type.name,  # type: ignore[attr-defined]
        "a CPU or single-GPU instance type for a multi-model endpoint: the guide lists no Inferentia or Trainium type",
        "choose e.g. ml.m5.xlarge (CPU) or ml.g5.xlarge (GPU, with Triton)",
    ),
    Exclusion(
        rules.INFERENCE_COMPONENT_HOST,
        (ServerlessProductionVariant, InstanceVariant),
        lambda config, variant: (
            config.hosts_inference_components and not isinstance(variant, InferenceComponentHostVariant)
        ),
        "",
        lambda config, variant: f"{type(variant).__name__} beside an InferenceComponentHostVariant",
        "only InferenceComponentHostVariant in a config that hosts inference components: their variants have no model",
        "serve the model as an InferenceComponent, or from an endpoint of its own",
    ),
    Exclusion(
        rules.INFERENCE_COMPONENT_HOST,
        InferenceComponentHostVariant,
        lambda config, variant: _has_shadow(config),
        "",
        lambda config, variant: "inference components with shadow_production_variants",
        "no shadow variant on an endpoint that hosts inference components",
        "drop the shadow variant (shadow_production_variants or a ShadowTest)",
    ),
    Exclusion(
        rules.SHADOW_UNSUPPORTED,
        Variant,
        lambda config, variant: variant in config.shadow_production_variants and config.async_inference is not None,
        "",
        lambda config, variant: "a shadow variant with async_inference",
        "shadow variants on real-time endpoints only: asynchronous endpoints refuse shadow tests",
        "drop the shadow variant (or ShadowTest), or async_inference",
    ),
    Exclusion(
        rules.SHADOW_UNSUPPORTED,
        Variant,
        lambda config, variant: _has_shadow(config) and _any_model(variant, "is_multi_model"),
        ".model",
        lambda config, variant: "a multi-model model with a shadow variant",
        "shadow variants with single-model containers: multi-model endpoints refuse shadow tests",
        "drop the shadow variant (or ShadowTest), or test the models on single-model endpoints",
    ),
    Exclusion(
        rules.SHADOW_UNSUPPORTED,
        Variant,
        lambda config, variant: _has_shadow(config) and _several_containers(variant),
        ".model",
        lambda config, variant: "a multi-container model with a shadow variant",
        "shadow variants with single-container models: multi-container endpoints refuse shadow tests",
        "drop the shadow variant (shadow_production_variants or a ShadowTest)",
    ),
    Exclusion(
        rules.SHADOW_UNSUPPORTED,
        Variant,
        lambda config, variant: _has_shadow(config) and _any_model(variant, "is_marketplace"),
        ".model",
        lambda config, variant: "an AWS Marketplace model package with a shadow variant",
        "shadow variants without AWS Marketplace model packages: Marketplace endpoints refuse shadow tests",
        "drop the shadow variant (shadow_production_variants or a ShadowTest)",
    ),
    Exclusion(
        rules.SHADOW_UNSUPPORTED,
        InstanceVariant,
        lambda config, variant: _has_shadow(config) and variant.instance_type.is_inf1,  # type: ignore[attr-defined]
        ".instance_type",
        lambda config, variant: variant.instance_type.name,  # type: ignore[attr-defined]
        "shadow variants on instance types other than Inf1: Inf1 endpoints refuse shadow tests",
        "choose another instance type, or drop the shadow variant (or ShadowTest)",
    ),
    Exclusion(
        rules.INSTANCE_POOLS,
        InstanceVariant,
        lambda config, variant: bool(variant.fallback_instance_types) and _any_model(variant, "is_multi_model"),  # type: ignore[attr-defined]
        ".fallback_instance_types",
        lambda config, variant: [t.name for t in variant.fallback_instance_types],  # type: ignore[attr-defined]
        "fallback instance types on single-model and inference-component endpoints (the guide's only kinds)",
        "drop fallback_instance_types, or serve the models from single-model endpoints",
    ),
    Exclusion(
        rules.EXPLAINER,
        (ServerlessProductionVariant, InferenceComponentHostVariant),
        lambda config, variant: config.explainer is not None,
        "",
        lambda config, variant: f"{type(variant).__name__} with an explainer",
        "online explainability on real-time variants serving models on instances (the guide's only kind)",
        "drop explainer, or serve the model from a ProductionVariant",
    ),
    Exclusion(
        rules.EXPLAINER,
        Variant,
        lambda config, variant: config.explainer is not None and config.async_inference is not None,
        "",
        lambda config, variant: "asynchronous inference with an explainer",
        "online explainability on real-time endpoints: InvokeEndpointAsync has no EnableExplanations",
        "drop explainer or async_inference",
    ),
    Exclusion(
        rules.DATA_CAPTURE,
        ServerlessProductionVariant,
        lambda config, variant: config.data_capture is not None,
        "",
        lambda config, variant: "serverless with data_capture",
        "data capture on instance endpoints: serverless refuses DataCaptureConfig",
        "drop data_capture, or serve the model from a ProductionVariant",
    ),
    Exclusion(
        rules.DATA_CAPTURE,
        Variant,
        lambda config, variant: config.data_capture is not None and _any_model(variant, "is_multi_model"),
        ".model",
        lambda config, variant: "a multi-model model with data_capture",
        "data capture for single-model endpoints: the guide marks it not applicable to multi-model endpoints",
        "drop data_capture",
    ),
    Exclusion(
        rules.DATA_CAPTURE,
        Variant,
        lambda config, variant: config.data_capture is not None and _several_containers(variant),
        ".model",
        lambda config, variant: "a multi-container model with data_capture",
        "data capture for single-container models: the guide marks it not applicable to pipelines and "
        "multi-container endpoints",
        "drop data_capture",
    ),
)


def check(problems: Problems, config: CheckedConfig) -> None:
    """Add a problem for every exclusion a variant of ``config`` (production or shadow) offends."""
    for prop, variant, exclusion in _applicable(config):
        if exclusion.offends(config, variant):
            problems.add(
                exclusion.rule,
                f"{prop}{exclusion.prop}",
                exclusion.shown(config, variant),
                exclusion.allowed,
                exclusion.fix,
            )


def _applicable(config: CheckedConfig) -> Iterator[tuple[str, Variant, Exclusion]]:
    named = [(f"production_variants[{index}]", variant) for index, variant in enumerate(config.production_variants)]
    named += [
        (f"shadow_production_variants[{index}]", variant)
        for index, variant in enumerate(config.shadow_production_variants)
    ]
    for prop, variant in named:
        for exclusion in EXCLUSIONS:
            if isinstance(variant, exclusion.kind):
                yield prop, variant, exclusion
