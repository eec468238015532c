"""Endpoint configs: 1 to 10 production variants of one kind (instances, inference-component hosts or
serverless), an optional shadow variant, asynchronous inference and data capture."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, compatibility, network, per_stack, rules, validation
from .async_inference import AsyncInference, BoundAsyncInference
from .data_capture import DataCapture
from .endpoint_metrics import EndpointMetrics
from .errors import Problems
from .execution_role import ExecutionRole
from .explainer import ClarifyExplainer
from .imported import ImportedResource, identity
from .model import ModelBase
from .variants import InferenceComponentHostVariant, InstanceVariant, InvocationFeatures, ProductionVariant, Variant

if TYPE_CHECKING:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_kms as kms

SINGLE_GPU_MULTI_MODEL_TYPES = frozenset(
    {"ml.p2.xlarge", "ml.p3.2xlarge", *(f"ml.{family}.{size}xlarge" for family in ("g4dn", "g5")
                                        for size in ("", "2", "4", "8", "16"))}
)  # fmt: skip


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
    :param shadow_production_variants: one `ProductionVariant` that gets a copy of the production variant's
        requests (its weight relative to the production weight is the sampled share); its answers are logged,
        not returned. Default: - none.
    :param data_capture: capture requests and answers to S3. Default: - none.
    :param metrics: extra CloudWatch metrics (`EndpointMetrics`). Default: - SageMaker's standard metrics.
    :param explainer: online explainability with SageMaker Clarify (`ClarifyExplainer`) on real-time instance
        variants; the endpoint then answers in Clarify's JSON schema. Default: - none.
    :param execution_role: the role of an endpoint that hosts inference components
        (`InferenceComponentHostVariant`); each component's model must use it (``Model(role=...)``).
        Default: - an `ExecutionRole` is defined for such a config; none otherwise.
    :param network_isolation: isolate the inference components of this config from the network; their models
        must say the same. Default: False.
    :param vpc: run the inference components of this config in this VPC (it needs the execution role of a
        config that hosts them); their models must use the same VPC and subnets. Default: - no VPC.
    :param vpc_subnets: the subnets in ``vpc``. Default: - the VPC's private subnets.
    :param security_groups: the security groups in ``vpc``. Default: - one is defined, all egress allowed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        production_variants: Sequence[Variant],
        kms_key: kms.IKey | None = None,
        async_inference: AsyncInference | None = None,
        shadow_production_variants: Sequence[ProductionVariant] | None = None,
        data_capture: DataCapture | None = None,
        metrics: EndpointMetrics | None = None,
        explainer: ClarifyExplainer | None = None,
        execution_role: ExecutionRole | iam.IRole | None = None,
        network_isolation: bool = False,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
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
        if data_capture is not None and validation.check_type(
            problems, "data_capture", data_capture, DataCapture, "DataCapture(destination=S3Location(bucket, 'c/'))"
        ):
            data_capture.validate(problems, "data_capture")
        if metrics is not None and validation.check_type(
            problems, "metrics", metrics, EndpointMetrics, "EndpointMetrics(enhanced=True)"
        ):
            metrics.validate(problems, "metrics")
        if explainer is not None and validation.check_type(
            problems, "explainer", explainer, ClarifyExplainer, "ClarifyExplainer(baseline='0,0,0,0')"
        ):
            explainer.validate(problems, "explainer")
        if shadow_production_variants is not None:
            validation.check_type(
                problems,
                "shadow_production_variants",
                shadow_production_variants,
                (list, tuple),
                "[ProductionVariant(...)]",
            )
        shadows = (
            list(shadow_production_variants or []) if isinstance(shadow_production_variants, (list, tuple)) else []
        )
        validation.check_type(problems, "network_isolation", network_isolation, bool, "True or False")
        network.check_vpc_type(problems, vpc)
        if execution_role is not None and not isinstance(execution_role, ExecutionRole):
            validation.check_interface(
                problems, "execution_role", execution_role, "iam.IRole", "grant_pass_role", "iam.Role.from_role_arn"
            )
        subnet_ids = network.validate_placement(
            self, "the endpoint config", problems, vpc, vpc_subnets, security_groups
        )
        problems.raise_if_any(self)
        self.async_inference: BoundAsyncInference | None = async_inference.bind(self) if async_inference else None
        self.data_capture: DataCapture | None = data_capture
        self.explainer: ClarifyExplainer | None = explainer
        self.kms_key = kms_key
        self.network_isolation: bool = network_isolation
        self.shadow_production_variants: tuple[ProductionVariant, ...] = ()
        self.execution_role = self._execution_role(execution_role, production_variants)
        self.vpc = vpc
        self.subnet_ids = subnet_ids
        self.placement = (
            network.place(self, vpc, subnet_ids, security_groups, self.execution_role)
            if vpc is not None and self.execution_role is not None
            else None
        )
        self._endpoint_names: list[str] = []
        self._validated_add(list(production_variants), shadows)
        per_stack.at_validation(self.stack_facts.stack, self._warn)
        self.resource = sagemaker.CfnEndpointConfig(
            self,
            "Resource",
            production_variants=[variant.render() for variant in self._variants],
            shadow_production_variants=self._render_shadows(),
            kms_key_id=kms_key.key_arn if kms_key else None,
            async_inference_config=self.async_inference.render() if self.async_inference else None,
            data_capture_config=data_capture.render() if data_capture else None,
            execution_role_arn=self.execution_role.role_arn if self.execution_role else None,
            enable_network_isolation=network_isolation or None,
            vpc_config=self.placement.render(sagemaker.CfnEndpointConfig.VpcConfigProperty) if self.placement else None,
        )
        if metrics is not None:  # aws-cdk-lib's constructor has no parameter for it yet; the property exists
            self.resource.metrics_config = metrics.render()
        if explainer is not None:  # likewise
            self.resource.explainer_config = explainer.render()
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

    def _render_shadows(self) -> list[sagemaker.CfnEndpointConfig.ProductionVariantProperty] | None:
        rendered = [shadow.render() for shadow in self.shadow_production_variants]
        return rendered or None

    @property
    def all_variants(self) -> tuple[Variant, ...]:
        """The production variants, then the shadow variant if any."""
        return (*self._variants, *self.shadow_production_variants)

    @property
    def hosts_inference_components(self) -> bool:
        """The variants are `InferenceComponentHostVariant` s: models come as `InferenceComponent` s."""
        return any(isinstance(variant, InferenceComponentHostVariant) for variant in self._variants)

    def _execution_role(
        self, role: ExecutionRole | iam.IRole | None, variants: Sequence[Variant]
    ) -> ExecutionRole | None:
        if isinstance(role, ExecutionRole):
            return role
        if role is not None:
            return ExecutionRole.shared(self, role)
        if any(isinstance(variant, InferenceComponentHostVariant) for variant in variants):
            return ExecutionRole(self, "ExecutionRole")
        return None

    @property
    def kind(self) -> str:
        """The variants' kind: ``instance`` or ``serverless`` (one config holds one kind)."""
        return self._variants[0].kind

    @property
    def invocation_features(self) -> InvocationFeatures:
        """The variants' features, and asynchronous when the config has asynchronous inference."""
        features = [variant.invocation_features for variant in self.all_variants]
        return InvocationFeatures(
            asynchronous=self.async_inference is not None,
            **{
                name: any(getattr(feature, name) for feature in features)
                for name in ("multi_model", "inference_components", "direct_containers")
            },
        )

    def add_production_variant(self, variant: Variant) -> None:
        """Add a variant; raises `ValidationError` if it breaks a rule, leaving the config unchanged."""
        self._validated_add([variant], [])
        self.resource.production_variants = [variant.render() for variant in self._variants]

    def problems_with(self, new: list[Variant], new_shadows: list[ProductionVariant]) -> Problems:
        """The problems this config would have with ``new`` production and ``new_shadows`` shadow variants added
        (each variant's own, and the rules between them); nothing is added. A `ShadowTest` asks it of its shadow."""
        problems = Problems()
        typed = [
            validation.check_type(
                problems,
                "production_variants",
                variant,
                Variant,
                "ProductionVariant(model=..., instance_type=...) or ServerlessProductionVariant(model=...)",
            )
            for variant in new
        ] + [
            validation.check_type(
                problems,
                "shadow_production_variants",
                variant,
                ProductionVariant,
                "ProductionVariant(model=..., instance_type=...): a shadow variant runs on instances",
            )
            for variant in new_shadows
        ]
        if not all(typed):
            return problems
        before = self._variants, self.shadow_production_variants
        candidate = self._variants + new
        shadows: tuple[ProductionVariant, ...] = (*self.shadow_production_variants, *new_shadows)
        validation.check_count(
            problems,
            "production_variants",
            candidate,
            api_model.member("CreateEndpointConfigInput", "ProductionVariants"),
            "split the variants across endpoints",
        )
        named = [(f"production_variants[{index}]", variant) for index, variant in enumerate(candidate)]
        named += [(f"shadow_production_variants[{index}]", variant) for index, variant in enumerate(shadows)]
        for prop, variant in named:
            variant.validate(problems, prop)
            for model in variant.models:
                if isinstance(model, ModelBase):
                    self.stack_facts.check_same_environment(problems, f"{prop}.model", model.stack_facts, model)
        validation.check_unique(
            problems,
            rules.UNIQUE_VARIANT_NAMES,
            "production_variants[*].variant_name",
            [variant.variant_name for _, variant in named],
            "give each variant (production and shadow) its own variant_name",
        )
        if shadows and (len(shadows) > 1 or len(candidate) != 1):
            problems.add(
                rules.SHADOW_VARIANTS,
                "shadow_production_variants",
                f"{len(shadows)} shadow and {len(candidate)} production variants",
                "at most one shadow variant, and then exactly one production variant",
                "test one candidate at a time against one production variant",
            )
        if not problems.items:  # the kinds' exclusions read well-typed variants
            self._variants, self.shadow_production_variants = candidate, shadows
            try:
                compatibility.check(problems, self)
            finally:
                self._variants, self.shadow_production_variants = before
        return problems

    def _validated_add(self, new: list[Variant], new_shadows: list[ProductionVariant]) -> None:
        self.problems_with(new, new_shadows).raise_if_any(self)
        self._variants = self._variants + new
        self.shadow_production_variants = (*self.shadow_production_variants, *new_shadows)
        for variant in [*new, *new_shadows]:
            core_dump = variant.core_dump if isinstance(variant, InstanceVariant) else None
            if core_dump is not None:  # SageMaker writes with the models' roles, or the config's for a host
                for role in [m.execution_role for m in variant.models] or [self.execution_role]:
                    if role is not None:
                        core_dump.grant(role)
            for model in variant.models:
                self._grant(model.execution_role)
                ssm = isinstance(variant, ProductionVariant) and variant.enable_ssm_access is True
                if ssm and model.execution_role is not None:
                    model.execution_role.grant_ssm_sessions()

    def _grant(self, role: ExecutionRole | None) -> None:
        """What an endpoint of this config does with a served model's role (None: imported, not ours to extend)."""
        if role is None:
            return
        for name in self._endpoint_names:
            role.serve_endpoint(name)
        if self.async_inference is not None:
            self.async_inference.grant(role)
        if self.data_capture is not None:
            self.data_capture.grant(role)
        if self.explainer is not None:
            self.explainer.grant(role)

    def serve_endpoint(self, endpoint_name: str) -> None:
        """An endpoint serves this config: its models' roles may write that endpoint's logs (and only those)."""
        self._endpoint_names.append(endpoint_name)
        roles = [model.execution_role for variant in self.all_variants for model in variant.models]
        for role in [*roles, self.execution_role]:
            if role is not None:
                role.serve_endpoint(endpoint_name)

    def _warn(self) -> None:
        for rule, message in self._soft_problems():
            validation.warn(self, rule, message)

    def _soft_problems(self) -> list[validation.Warning]:
        found = []
        weights = [variant.initial_variant_weight for variant in self._variants]
        if all(not validation.is_unresolved(weight) and weight == 0 for weight in weights):
            found.append((rules.NO_TRAFFIC, "every variant has weight 0, so the endpoint routes no traffic"))
        counts = [variant.initial_instance_count for variant in self._variants if isinstance(variant, InstanceVariant)]
        if counts and not any(validation.is_unresolved(count) for count in counts) and sum(counts) == 1:
            found.append(
                (
                    rules.SINGLE_INSTANCE,
                    "the endpoint runs on one instance; use 2 or more for production so SageMaker can spread "
                    "them across Availability Zones",
                )
            )
        for variant in self.all_variants:
            if not isinstance(variant, InstanceVariant):
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
        for variant in self.all_variants:
            if isinstance(variant, ProductionVariant) and variant.enable_ssm_access is True:
                found.append(
                    (
                        rules.SSM_ACCESS,
                        f"{variant.variant_name}: SSM access is for development and test: the account must be "
                        "allow-listed (AWS Support), it slows the variant, and SageMaker delays patching and "
                        "replacing faulty instances by a day",
                    )
                )
        for variant in self.all_variants:
            if _unconfirmed_gpu_multi_model(variant):
                found.append(
                    (
                        rules.MULTI_MODEL_GPU_LIST,
                        f"{variant.variant_name}: {variant.instance_type} is not among the guide's GPU types for "  # type: ignore[attr-defined]
                        f"multi-model endpoints ({', '.join(sorted(SINGLE_GPU_MULTI_MODEL_TYPES))}); check that it "
                        "has one GPU and that the container is Triton",
                    )
                )
        networks = {
            (model.network_isolation, tuple(model.subnet_ids))
            for variant in self.all_variants
            for model in variant.models
            if model.execution_role is not None  # imported models: unknown, not compared
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


def _unconfirmed_gpu_multi_model(variant: Variant) -> bool:
    """A multi-model variant on a GPU type (p or g family) that the guide does not list."""
    if not isinstance(variant, InstanceVariant) or not any(
        isinstance(model, ModelBase) and model.is_multi_model for model in variant.models
    ):
        return False
    return variant.instance_type.is_gpu and variant.instance_type.name not in SINGLE_GPU_MULTI_MODEL_TYPES


def _local_storage_settings(variant: InstanceVariant, kms_key: kms.IKey | None) -> list[str]:
    """The EBS-only settings given for a variant whose type has local NVMe storage, if any."""
    if not variant.has_local_storage:
        return []
    given = {"volume_size_in_gb": variant.volume_size_in_gb is not None, "kms_key": kms_key is not None}
    return [name for name, is_given in given.items() if is_given]
