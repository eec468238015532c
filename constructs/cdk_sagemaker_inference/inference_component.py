"""Inference components: models placed on the instances of an endpoint that hosts them, and adapters.

The endpoint's config has `InferenceComponentHostVariant` s and an execution role; each component names a
model (which must share that role, network isolation and VPC), the compute one copy needs, and how many
copies to run. An adapter component (e.g. LoRA weights) runs on a base component's compute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration, Names, Resource, Stack
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, rules, validation
from .endpoint_config import EndpointConfig
from .endpoint_core import INVOCATION_NAMESPACE, EndpointCore, check_endpoint, check_period
from .errors import Problems
from .llm import DOWNLOAD_TIMEOUT, STARTUP_TIMEOUT
from .model import IModel, ModelBase
from .model_data import ModelData
from .variants import DEFAULT_VARIANT_NAME

if TYPE_CHECKING:
    from aws_cdk import aws_cloudwatch as cloudwatch

    from .deployment import ComponentRollingUpdate
    from .scaling import CopyCount

COPY_COUNT_ID = "CopyCount"
COMPUTE = "InferenceComponentComputeResourceRequirements"
STARTUP = "InferenceComponentStartupParameters"
ARTIFACTS_ID = "Artifacts"


@dataclass(frozen=True, kw_only=True)
class ComputeRequirements:
    """What one copy of a component needs of an instance (``ComputeResourceRequirements``).

    :param min_memory_required_in_mb: memory reserved per copy, at least 128 MB.
    :param max_memory_required_in_mb: the most memory a copy may use. Default: - no limit.
    :param number_of_cpu_cores_required: CPU cores per copy, at least 0.25. Default: - SageMaker's.
    :param number_of_accelerator_devices_required: GPUs or Neuron devices per copy, at least 1.
        Default: - none.
    """

    min_memory_required_in_mb: int
    max_memory_required_in_mb: int | None = None
    number_of_cpu_cores_required: float | None = None
    number_of_accelerator_devices_required: float | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        members = {
            "min_memory_required_in_mb": ("MinMemoryRequiredInMb", "reserve at least 128 MB"),
            "max_memory_required_in_mb": ("MaxMemoryRequiredInMb", "allow at least 128 MB"),
            "number_of_cpu_cores_required": ("NumberOfCpuCoresRequired", "ask for at least 0.25 cores"),
            "number_of_accelerator_devices_required": ("NumberOfAcceleratorDevicesRequired", "ask for 1 or more"),
        }
        for field, (member, fix) in members.items():
            validation.check_value(
                problems, f"{prop}.{field}", getattr(self, field), api_model.member(COMPUTE, member), fix
            )
        low, high = self.min_memory_required_in_mb, self.max_memory_required_in_mb
        known = high is not None and not any(validation.is_unresolved(value) for value in (low, high))
        if known and not problems.items and high < low:  # type: ignore[operator]  # ints: checked above
            problems.add(
                rules.COMPONENT_COMPUTE,
                f"{prop}.max_memory_required_in_mb",
                high,
                f"at least min_memory_required_in_mb ({low})",
                "raise the maximum or lower the minimum",
            )

    def render(self) -> sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty:
        return sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
            min_memory_required_in_mb=self.min_memory_required_in_mb,
            max_memory_required_in_mb=self.max_memory_required_in_mb,
            number_of_cpu_cores_required=self.number_of_cpu_cores_required,
            number_of_accelerator_devices_required=self.number_of_accelerator_devices_required,
        )


class InferenceComponent(Resource):
    """An inference component (``AWS::SageMaker::InferenceComponent``) on an endpoint that hosts them.

    Its name is known at synth time (CloudFormation updates every property of a component in place, so a
    fixed name never blocks a change, and the name is not among its attributes). It depends on the endpoint
    (SageMaker needs the endpoint first) and, for an adapter, on its base. Calls and smoke tests name it by
    ``inference_component_name``; ``endpoint.add_smoke_test(..., inference_component=component)`` waits for
    it and runs again whenever it changes.

    :param endpoint: the endpoint (its config has `InferenceComponentHostVariant` s), or an imported one.
    :param model: the model each copy runs; its role, network isolation and VPC must be the config's.
        Default: - none (an adapter: give ``base_component`` and ``artifacts``).
    :param compute: what each copy needs (required with ``model``). Default: - none.
    :param copy_count: copies at creation, at least 1 (scaling may reach 0 later). Default: 1.
    :param variant_name: the host variant to run on. Default: - the config's only host variant (``AllTraffic``
        for an imported endpoint).
    :param model_data_download_timeout: startup: time to download the model, 60 s to 1 h. Default: 30 minutes for
        a model given as ``llm``, else SageMaker's.
    :param container_startup_health_check_timeout: startup: time for /ping to pass, 60 s to 1 h.
        Default: - SageMaker's.
    :param base_component: the component an adapter extends (on the same endpoint). Default: - none.
    :param artifacts: the adapter's weights, a ``.tar.gz`` (read with the config's execution role).
        Default: - none.
    :param inference_component_name: the name. Default: - ``<stack>-<path>-<hash>``, at most 63 characters.
    :param deployment: how a change of the component reaches its copies: a `ComponentRollingUpdate` (batches of
        copies, baking, rollback alarms). Default: - SageMaker's.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointCore,
        model: IModel | None = None,
        compute: ComputeRequirements | None = None,
        copy_count: int = 1,
        variant_name: str | None = None,
        model_data_download_timeout: Duration | None = None,
        container_startup_health_check_timeout: Duration | None = None,
        base_component: InferenceComponent | None = None,
        artifacts: ModelData | None = None,
        inference_component_name: str | None = None,
        deployment: ComponentRollingUpdate | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint = endpoint
        self.model = model
        self.base_component = base_component
        self.copy_count = copy_count
        self.deployment = deployment
        """How a change reaches the copies, as given."""
        problems = Problems()
        check_endpoint(problems, "endpoint", endpoint)
        problems.raise_if_any(self)
        self.config = endpoint.endpoint_config
        self.variant_name = variant_name or self._default_variant()
        validation.check_value(
            problems,
            "inference_component_name",
            inference_component_name,
            api_model.shape("InferenceComponentName"),
            "use letters, digits and hyphens (not at the start or end), at most 63",
        )
        self._name = inference_component_name or Names.unique_resource_name(
            self, max_length=63, separator="-", allowed_special_characters="-"
        )
        self._validate(problems, compute, copy_count, artifacts)
        self._validate_startup(problems, model_data_download_timeout, container_startup_health_check_timeout)
        if deployment is not None:
            from .deployment import ComponentRollingUpdate

            if validation.check_type(
                problems, "deployment", deployment, ComponentRollingUpdate, "ComponentRollingUpdate(...)"
            ):
                copies = (
                    copy_count if isinstance(copy_count, int) and not validation.is_unresolved(copy_count) else None
                )
                deployment.validate(problems, "deployment", deployment.rollback_alarms, copies)
        problems.raise_if_any(self)
        artifact_url = self._bind_artifacts(artifacts)
        if model is not None and model.llm is not None:  # a large model's download and load take longer
            model_data_download_timeout = model_data_download_timeout or DOWNLOAD_TIMEOUT
            container_startup_health_check_timeout = container_startup_health_check_timeout or STARTUP_TIMEOUT
        startup = (
            sagemaker.CfnInferenceComponent.InferenceComponentStartupParametersProperty(
                model_data_download_timeout_in_seconds=validation.rendered_seconds(model_data_download_timeout),
                container_startup_health_check_timeout_in_seconds=validation.rendered_seconds(
                    container_startup_health_check_timeout
                ),
            )
            if model_data_download_timeout or container_startup_health_check_timeout
            else None
        )
        specification = sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
            model_name=model.model_name if model else None,
            compute_resource_requirements=compute.render() if compute else None,
            startup_parameters=startup,
            base_inference_component_name=base_component.inference_component_name if base_component else None,
            container=sagemaker.CfnInferenceComponent.InferenceComponentContainerSpecificationProperty(
                artifact_url=artifact_url
            )
            if artifact_url
            else None,
        )
        self.resource = sagemaker.CfnInferenceComponent(
            self,
            "Resource",
            inference_component_name=self._name,
            endpoint_name=endpoint.endpoint_name,
            variant_name=self.variant_name,
            specification=specification,
            runtime_config=None
            if base_component
            else sagemaker.CfnInferenceComponent.InferenceComponentRuntimeConfigProperty(copy_count=copy_count),
            deployment_config=deployment.render(deployment.rollback_alarms) if deployment else None,
        )
        if endpoint.resource is not None:  # defined by this library: placed once it exists
            self.resource.node.add_dependency(endpoint.resource)
        if base_component is not None:
            self.resource.node.add_dependency(base_component.resource)
        placed = getattr(endpoint, "inference_components", None)  # an Endpoint's; an imported one has none
        if isinstance(placed, list):
            placed.append(self)
        if self.config is not None and self.config.execution_role is not None:
            self.config.execution_role.serve_inference_component(self._name)

    @property
    def inference_component_name(self) -> str:
        """The name calls give as ``InferenceComponentName``."""
        return self._name

    @property
    def inference_component_arn(self) -> str:
        return self.resource.ref

    @property
    def revision(self) -> str:
        """A digest of what the component runs (model, compute, copies, base): a smoke test of the component
        sees it change whenever the component does, and runs again."""
        resolved = Stack.of(self).resolve(
            [self.resource.specification, self.resource.runtime_config, self.resource.variant_name]
        )
        return hashlib.sha256(json.dumps(resolved, sort_keys=True).encode()).hexdigest()[:16]

    def auto_scale_copy_count(self, *, min_capacity: int, max_capacity: int) -> CopyCount:
        """Scale this component's copies between ``min_capacity`` (0 allowed: add `CopyCount.scale_out_from_zero`)
        and ``max_capacity``; the copies it starts with must lie between them. Not for adapters (no copies)."""
        from .scaling import COPIES, CopyCount, check_capacity, floor_of

        problems = Problems()
        if self.base_component is not None:
            problems.add(
                rules.SCALING_KIND,
                "component",
                self.node.path,
                "a component with copies, not an adapter",
                "scale its base",
            )
        check_capacity(
            problems, min_capacity, max_capacity, floor=floor_of(COPIES), current=("copy_count", self.copy_count)
        )
        if self.node.try_find_child(COPY_COUNT_ID) is not None:
            problems.add(
                rules.SCALING_KIND, "component", self.node.path, "one scalable target", "add policies to the first"
            )
        if self.deployment is not None and isinstance(min_capacity, int) and min_capacity > 0:
            # The fewest copies a rolling update may find: its batches must fit them too.
            self.deployment.validate(problems, "deployment", self.deployment.rollback_alarms, min_capacity)
        problems.raise_if_any(self)
        return CopyCount(self, COPY_COUNT_ID, component=self, min_capacity=min_capacity, max_capacity=max_capacity)

    def metric_no_capacity_invocation_failures(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Calls that failed because the component had no copy (namespace AWS/SageMaker, dimension
        InferenceComponentName): Sum over 1 minute, a count."""
        from aws_cdk.aws_cloudwatch import Metric

        problems = Problems()
        check_period(problems, period)
        problems.raise_if_any(self)
        return Metric(
            namespace=INVOCATION_NAMESPACE,
            metric_name="NoCapacityInvocationFailures",
            dimensions_map={"InferenceComponentName": self.inference_component_name},
            statistic="Sum",
            period=period or Duration.minutes(1),
        )

    def add_adapter(self, construct_id: str, *, artifacts: ModelData) -> InferenceComponent:
        """An adapter component on this one (its weights in ``artifacts``), beside it in the same scope."""
        scope = self.node.scope
        assert scope is not None
        return InferenceComponent(
            scope,  # type: ignore[arg-type]
            construct_id,
            endpoint=self.endpoint,
            variant_name=self.variant_name,
            base_component=self,
            artifacts=artifacts,
        )

    def _default_variant(self) -> str:
        config = self.config
        hosts = (
            [variant.variant_name for variant in config.production_variants]
            if isinstance(config, EndpointConfig)
            else []
        )
        return hosts[0] if len(hosts) == 1 else DEFAULT_VARIANT_NAME

    def _validate(
        self, problems: Problems, compute: ComputeRequirements | None, copy_count: int, artifacts: ModelData | None
    ) -> None:
        config = self.config
        if config is not None and not config.hosts_inference_components:
            problems.add(
                rules.INFERENCE_COMPONENT_ENDPOINT,
                "endpoint",
                self.endpoint.node.path,
                "an endpoint whose config has InferenceComponentHostVariant variants",
                "give the endpoint a config of InferenceComponentHostVariant(instance_type=...)",
            )
        elif config is not None and self._literal_variant_name(problems):
            hosts = [variant.variant_name for variant in config.production_variants]
            if self.variant_name not in hosts:
                problems.add(
                    rules.INFERENCE_COMPONENT_ENDPOINT,
                    "variant_name",
                    self.variant_name,
                    f"one of the endpoint's host variants: {hosts}",
                    "name one of them",
                )
        validation.check_value(
            problems,
            "copy_count",
            copy_count,
            api_model.member("InferenceComponentRuntimeConfig", "CopyCount"),
            "run 1 or more copies",
        )
        if isinstance(copy_count, int) and not isinstance(copy_count, bool) and copy_count == 0:
            problems.add(
                rules.COMPONENT_COPIES,
                "copy_count",
                copy_count,
                "at least 1 (CreateInferenceComponent refuses 0 copies)",
                "start with copy_count=1 and let auto_scale_copy_count(min_capacity=0) scale to zero",
            )
        if self.base_component is not None:
            self._validate_adapter(problems, compute, artifacts)
            return
        if self.model is None or compute is None:
            problems.add(
                rules.COMPONENT_COMPUTE,
                "model" if self.model is None else "compute",
                None,
                "a model and its compute (or, for an adapter, base_component and artifacts)",
                "give model=... and compute=ComputeRequirements(min_memory_required_in_mb=1024, ...)",
            )
        if artifacts is not None:
            problems.add(
                rules.ADAPTER,
                "artifacts",
                "given",
                "artifacts only for an adapter (with base_component)",
                "give base_component=..., or put the artifacts in the model",
            )
        if compute is not None and validation.check_type(
            problems, "compute", compute, ComputeRequirements, "ComputeRequirements(min_memory_required_in_mb=1024)"
        ):
            compute.validate(problems, "compute")
        if self.model is not None and validation.check_type(
            problems, "model", self.model, ModelBase, "a cdk_sagemaker_inference.Model", expected_name="Model"
        ):
            self._validate_model(problems, self.model)
            llm = self.model.llm
            if llm is not None and isinstance(compute, ComputeRequirements):
                accelerators = compute.number_of_accelerator_devices_required
                wanted = llm.gpus if isinstance(llm.gpus, int) else 1
                if not validation.is_unresolved(accelerators) and (accelerators or 0) < wanted:
                    problems.add(
                        rules.LLM_GPUS,
                        "compute.number_of_accelerator_devices_required",
                        accelerators,
                        f"at least the {wanted} GPU(s) the model's llm.gpus shards it over",
                        f"ask for number_of_accelerator_devices_required={wanted}",
                    )

    def _validate_adapter(
        self, problems: Problems, compute: ComputeRequirements | None, artifacts: ModelData | None
    ) -> None:
        base = self.base_component
        if not validation.check_type(problems, "base_component", base, InferenceComponent, "another component"):
            return
        assert base is not None
        for name, value in (("model", self.model), ("compute", compute)):
            if value is not None:
                problems.add(
                    rules.ADAPTER, name, "given", "no model or compute on an adapter: it runs on its base's", "drop it"
                )
        if artifacts is None:
            problems.add(rules.ADAPTER, "artifacts", None, "the adapter's weights (a .tar.gz)", "give artifacts=...")
        if base.endpoint is not self.endpoint:
            problems.add(
                rules.ADAPTER,
                "base_component",
                base.node.path,
                f"a component on the same endpoint ({self.endpoint.node.path})",
                "use base.add_adapter(...), or a base on this endpoint",
            )
        if base.base_component is not None:
            problems.add(
                rules.ADAPTER, "base_component", base.node.path, "a base component, not another adapter", "use its base"
            )

    def _validate_model(self, problems: Problems, model: ModelBase) -> None:
        """The model shares the config's role, network isolation and VPC: SageMaker runs all with the config's."""
        config = self.config
        if model.execution_role is None or config is None:  # an imported model or endpoint: unknown
            return
        if model.execution_role is not config.execution_role:
            problems.add(
                rules.INFERENCE_COMPONENT_MODEL,
                "model.role",
                model.execution_role.node.path,
                f"the endpoint config's execution role ({_path(config.execution_role)})",
                "create the model with role=config.execution_role",
            )
        if bool(model.network_isolation) != config.network_isolation:
            problems.add(
                rules.INFERENCE_COMPONENT_MODEL,
                "model.network_isolation",
                bool(model.network_isolation),
                f"the config's network_isolation ({config.network_isolation})",
                "give the model and the EndpointConfig the same network_isolation",
            )
        same_vpc = model.vpc is config.vpc and sorted(model.subnet_ids) == sorted(config.subnet_ids)
        if not same_vpc:
            problems.add(
                rules.INFERENCE_COMPONENT_MODEL,
                "model.vpc",
                "a VPC" if model.vpc is not None else None,
                f"the config's VPC and subnets ({'none' if config.vpc is None else config.vpc.node.path})",
                "give the model and the EndpointConfig the same vpc= and vpc_subnets=",
            )

    def _validate_startup(self, problems: Problems, download: Duration | None, startup: Duration | None) -> None:
        for field, member, duration in (
            ("model_data_download_timeout", "ModelDataDownloadTimeoutInSeconds", download),
            ("container_startup_health_check_timeout", "ContainerStartupHealthCheckTimeoutInSeconds", startup),
        ):
            seconds = validation.seconds_of(problems, field, duration)
            validation.check_value(
                problems, field, seconds, api_model.member(STARTUP, member), "choose 60 seconds to 1 hour"
            )

    def _literal_variant_name(self, problems: Problems) -> bool:
        """Whether ``variant_name`` is a literal string to look up (a non-string is a problem)."""
        if self.variant_name is None:
            return False
        typed = validation.check_type(problems, "variant_name", self.variant_name, str, "the host variant's name")
        return typed and not validation.is_unresolved(self.variant_name)

    def _bind_artifacts(self, artifacts: ModelData | None) -> str | None:
        """The adapter's artifact URL, readable by the config's execution role."""
        if artifacts is None:
            return None
        role = self.config.execution_role if self.config is not None else None
        problems = Problems()
        if not validation.check_type(problems, "artifacts", artifacts, ModelData, "ModelData.from_s3_url('s3://...')"):
            problems.raise_if_any(self)
        artifacts.validate(self, problems, "artifacts")
        if role is None:
            problems.add(
                rules.ADAPTER,
                "endpoint",
                self.endpoint.node.path,
                "an endpoint this app defines: its config's execution role reads the adapter's artifacts",
                "define the endpoint and its config with this library",
            )
        problems.raise_if_any(self)
        assert role is not None
        return artifacts.bind(self, role).url


def _path(construct: Construct | None) -> str | None:
    return construct.node.path if construct is not None else None
