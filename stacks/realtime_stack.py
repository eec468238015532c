"""Sample stack: a two-variant real-time endpoint serving the sample sentiment model, smoke-tested per variant."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from cdk_sagemaker_inference import (
    BlueGreenDeployment,
    Endpoint,
    EndpointConfig,
    InstanceType,
    ProductionVariant,
    TrafficRouting,
)

from .app_config import RealtimeSettings
from .sample_parts import add_json_smoke_test, add_monitoring, sentiment_model, volume_key

DEPLOYMENT_TIMEOUT = Duration.hours(1)  # longer than the baking and the old fleet's wait


class RealtimeEndpointStack(Stack):
    """One model per variant (same image and data, own environment), one config, one endpoint.

    Each deploy that changes the endpoint sends the configured payload to every variant and fails
    (rolling back) unless each answer is JSON holding the expected subset. A variant with a
    ``maxInstanceCount`` scales on invocations per instance from its ``instanceCount`` up to it. A config change
    deploys blue/green: all traffic shifts to the new fleet, which bakes ``bakeMinutes`` while the old fleet
    waits; a critical alarm rolls the deployment back. (A canary needs variants of 2 or more instances: it is
    at most half of each variant's fleet.)
    """

    def __init__(self, scope: Construct, construct_id: str, *, settings: RealtimeSettings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        variants = []
        shared_role = None
        for variant in settings.variants:
            model = sentiment_model(
                self,
                f"{variant.name}Model",
                image_directory=settings.image_directory,
                model_directory=settings.model_directory,
                environment=variant.environment,
                role=shared_role,
                network_isolation=True,  # the sample server needs no network
            )
            shared_role = shared_role or model.execution_role
            variants.append(
                ProductionVariant(
                    model=model,
                    variant_name=variant.name,
                    instance_type=InstanceType.of(settings.instance_type),
                    initial_instance_count=variant.instance_count,
                    initial_variant_weight=variant.weight,
                )
            )
        key = (
            volume_key(self, "Encrypts the sample endpoint's ML storage volumes") if settings.encrypt_volumes else None
        )
        config = EndpointConfig(self, "EndpointConfig", production_variants=variants, kms_key=key)
        bake = Duration.minutes(settings.bake_minutes)
        self.endpoint = Endpoint(
            self,
            "Endpoint",
            endpoint_config=config,
            deployment=BlueGreenDeployment(  # the new fleet's critical alarms roll it back while it bakes
                traffic_routing=TrafficRouting.all_at_once(wait_interval=bake),
                termination_wait=bake,
                maximum_execution_timeout=DEPLOYMENT_TIMEOUT,
            ),
        )
        for variant in settings.variants:
            add_json_smoke_test(
                self.endpoint, settings.smoke_test, f"{variant.name}SmokeTest", target_variant=variant.name
            )
            if variant.max_instance_count is not None:
                self.endpoint.find_variant(variant.name).auto_scale_instance_count(
                    min_capacity=variant.instance_count, max_capacity=variant.max_instance_count
                ).scale_on_invocations("Invocations", invocations_per_instance=settings.invocations_per_instance)
        # The critical thresholds on the new fleet only, sized to reach ALARM within the bake.
        add_monitoring(self, self.endpoint).add_rollback_alarms()
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
