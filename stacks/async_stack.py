"""Sample stack: the sentiment model on an asynchronous endpoint: requests queue, results land in S3."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk_sagemaker_inference import AsyncInference, Endpoint, EndpointConfig, InstanceType, ProductionVariant

from .app_config import AsyncSettings, RealtimeSettings
from .sample_parts import acknowledge_single_instance, add_json_smoke_test, sentiment_model, volume_key


class AsyncEndpointStack(Stack):
    """The realtime sample's image and model behind InvokeEndpointAsync; the stack defines the results bucket
    (retained on deletion) and the smoke test uploads its request next to the results and reads the answer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_settings: RealtimeSettings,
        settings: AsyncSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        model = sentiment_model(
            self,
            "Model",
            image_directory=model_settings.image_directory,
            model_directory=model_settings.model_directory,
            network_isolation=True,  # the sample server needs no network; SageMaker moves requests and results
        )
        variant = ProductionVariant(
            model=model,
            instance_type=InstanceType.of(settings.instance_type),
            initial_instance_count=settings.instance_count,
        )
        config = EndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[variant],
            kms_key=volume_key(self, "Encrypts the async sample endpoint's ML storage volumes"),
            async_inference=AsyncInference(
                max_concurrent_invocations_per_instance=settings.max_concurrent_invocations_per_instance
            ),
        )
        acknowledge_single_instance(config, settings.instance_count)
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        add_json_smoke_test(self.endpoint, settings.smoke_test)
        assert config.async_inference is not None
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "ResultsLocation", value=config.async_inference.output.url)
