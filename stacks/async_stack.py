"""Sample stack: the sentiment model on an asynchronous endpoint: requests queue, results land in S3."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from cdk_sagemaker_inference import AsyncInference, Endpoint

from .app_config import AsyncSettings, RealtimeSettings
from .sample_parts import add_json_smoke_test, add_monitoring, instance_config, sentiment_model


class AsyncEndpointStack(Stack):
    """The realtime sample's image and model behind InvokeEndpointAsync; the stack defines the results bucket
    (retained on deletion) and the smoke test uploads its request next to the results and reads the answer.
    The instances follow the backlog, down to ``minInstanceCount`` (0: none while idle, one added as soon as
    a request waits)."""

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
        config = instance_config(
            self,
            model,
            instance_type=settings.instance_type,
            instance_count=settings.instance_count,
            purpose="async sample",
            async_inference=AsyncInference(
                max_concurrent_invocations_per_instance=settings.max_concurrent_invocations_per_instance
            ),
        )
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        # The endpoint may be at zero instances when a deploy tests it: time for the backlog to scale it out.
        add_json_smoke_test(self.endpoint, settings.smoke_test, timeout=Duration.minutes(20))
        count = self.endpoint.find_variant("AllTraffic").auto_scale_instance_count(
            min_capacity=settings.min_instance_count, max_capacity=settings.max_instance_count
        )
        count.scale_on_backlog("Backlog", backlog_per_instance=settings.backlog_per_instance)
        if settings.min_instance_count == 0:
            count.scale_out_from_zero("FromZero")
        add_monitoring(self, self.endpoint)
        assert config.async_inference is not None
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "ResultsLocation", value=config.async_inference.output.url)
