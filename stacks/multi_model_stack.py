"""Sample stack: one multi-model endpoint serving several sentiment models, each smoke-tested by name."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk_sagemaker_inference import ContainerImage, Endpoint, Model, ModelData

from .app_config import MultiModelSettings, RealtimeSettings
from .sample_parts import add_json_smoke_test, add_monitoring, instance_config


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
        config = instance_config(
            self,
            model,
            instance_type=settings.instance_type,
            instance_count=settings.instance_count,
            purpose="multi-model sample",
        )
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        for name in settings.models:
            add_json_smoke_test(
                self.endpoint,
                settings.smoke_test,
                f"{_construct_name(name)}SmokeTest",
                target_model=data.target_model(name),
            )
        if settings.max_instance_count is not None:  # the invocation rate of all models together
            self.endpoint.find_variant("AllTraffic").auto_scale_instance_count(
                min_capacity=settings.instance_count, max_capacity=settings.max_instance_count
            ).scale_on_invocations("Invocations", invocations_per_instance=settings.invocations_per_instance)
        add_monitoring(self, self.endpoint)
        assert data.location is not None
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "ModelsLocation", value=data.location.url)
        for name in settings.models:
            CfnOutput(self, f"{_construct_name(name)}TargetModel", value=data.target_model(name))


def _construct_name(model_name: str) -> str:
    """``sentiment-strict`` -> ``SentimentStrict``: a construct ID and output name of the model."""
    return "".join(part.capitalize() for part in model_name.replace("_", "-").replace(".", "-").split("-"))
