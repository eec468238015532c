"""Sample stack: the sentiment model as an inference component on an endpoint that hosts components."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk_sagemaker_inference import (
    ComputeRequirements,
    Endpoint,
    EndpointConfig,
    InferenceComponent,
    InferenceComponentHostVariant,
    InstanceType,
    ManagedInstanceScaling,
)

from .app_config import InferenceComponentSettings, RealtimeSettings
from .sample_parts import acknowledge_single_instance, add_json_smoke_test, add_monitoring, sentiment_model, volume_key


class InferenceComponentStack(Stack):
    """A host variant without a model (SageMaker scales its instances for the components), the config's
    execution role shared by the component's model, and a smoke test that waits for the component."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_settings: RealtimeSettings,
        settings: InferenceComponentSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        host = InferenceComponentHostVariant(
            instance_type=InstanceType.of(settings.instance_type),
            initial_instance_count=settings.min_instance_count,
            managed_instance_scaling=ManagedInstanceScaling(
                min_instance_count=settings.min_instance_count, max_instance_count=settings.max_instance_count
            ),
        )
        config = EndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[host],
            kms_key=volume_key(self, "Encrypts the inference-component sample endpoint's ML storage volumes"),
            network_isolation=True,  # the sample server needs no network
        )
        acknowledge_single_instance(config, settings.min_instance_count)
        model = sentiment_model(
            self,
            "Model",
            image_directory=model_settings.image_directory,
            model_directory=model_settings.model_directory,
            role=config.execution_role,
            network_isolation=True,
        )
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        self.component = InferenceComponent(
            self,
            "Sentiment",
            endpoint=self.endpoint,
            model=model,
            compute=ComputeRequirements(
                min_memory_required_in_mb=settings.memory_mb, number_of_cpu_cores_required=settings.cpu_cores
            ),
            copy_count=settings.copy_count,
        )
        add_json_smoke_test(self.endpoint, settings.smoke_test, inference_component=self.component)
        if settings.max_copy_count > settings.copy_count:
            self.component.auto_scale_copy_count(
                min_capacity=settings.copy_count, max_capacity=settings.max_copy_count
            ).scale_on_invocations("Invocations", invocations_per_copy=settings.invocations_per_copy)
        add_monitoring(self, self.endpoint)
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "InferenceComponentName", value=self.component.inference_component_name)
