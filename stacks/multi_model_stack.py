"""Sample stack: one multi-model endpoint serving several sentiment models, each smoke-tested by name."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk_sagemaker_inference import (
    ContainerImage,
    Endpoint,
    EndpointConfig,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
)

from .app_config import MultiModelSettings, RealtimeSettings
from .sample_parts import acknowledge_single_instance, add_json_smoke_test, volume_key


class MultiModelEndpointStack(Stack):
    """The sample server image in multi-model mode; the models are packed at synth, copied under the prefix of
    a bucket the model defines at deploy, and each smoke test calls one by the key it was uploaded under."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_settings: RealtimeSettings,
        settings: MultiModelSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data = ModelData.multi_model(models={name: str(path) for name, path in settings.models.items()})
        model = Model(
            self,
            "Model",
            container=ContainerImage.from_asset(str(model_settings.image_directory)),
            model_data=data,
            network_isolation=True,  # SageMaker fetches the models; the server needs no network
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
            kms_key=volume_key(self, "Encrypts the multi-model sample endpoint's ML storage volumes"),
        )
        acknowledge_single_instance(config, settings.instance_count)
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        for name in settings.models:
            add_json_smoke_test(
                self.endpoint,
                settings.smoke_test,
                f"{_construct_name(name)}SmokeTest",
                target_model=data.target_model(name),
            )
        assert data.location is not None
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "ModelsLocation", value=data.location.url)
        for name in settings.models:
            CfnOutput(self, f"{_construct_name(name)}TargetModel", value=data.target_model(name))


def _construct_name(model_name: str) -> str:
    """``sentiment-strict`` -> ``SentimentStrict``: a construct ID and output name of the model."""
    return "".join(part.capitalize() for part in model_name.replace("_", "-").replace(".", "-").split("-"))
