"""Sample stack: the sentiment model on a serverless endpoint, smoke-tested at each deploy."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk_sagemaker_inference import Endpoint, EndpointConfig, ServerlessProductionVariant, acknowledge_nag_findings

from .app_config import RealtimeSettings, ServerlessSettings
from .sample_parts import add_json_smoke_test, add_monitoring, sentiment_model

PROVISIONED_UTILIZATION = 0.7  # scale out before warm executions run out

# cdk-nag's HIPAA and NIST packs want a KmsKeyId on every endpoint config; on a serverless one it would only
# choose the key of SageMaker's escrowed copy of the image, which SageMaker already encrypts with its own key.
IMAGE_COPY_KEY_REASON = (
    "a serverless endpoint config's KMS key would only encrypt SageMaker's escrowed copy of the container image, "
    "which SageMaker encrypts with a SageMaker-owned key; there is no ML storage volume to encrypt"
)


class ServerlessEndpointStack(Stack):
    """The realtime sample's image and model, served on demand (no instances), without network isolation
    (serverless refuses it); with ``provisionedConcurrency`` in the config, that many executions stay warm and
    scale up to ``maxConcurrency`` on their utilization."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        model_settings: RealtimeSettings,
        settings: ServerlessSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        model = sentiment_model(
            self,
            "Model",
            image_directory=model_settings.image_directory,
            model_directory=model_settings.model_directory,
        )
        variant = ServerlessProductionVariant(
            model=model,
            memory_size_in_mb=settings.memory_size_in_mb,
            max_concurrency=settings.max_concurrency,
            provisioned_concurrency=settings.provisioned_concurrency,
        )
        config = EndpointConfig(self, "EndpointConfig", production_variants=[variant])
        acknowledge_nag_findings(
            config.resource,
            {
                f"{pack}-SageMakerEndpointConfigurationKMSKeyConfigured": IMAGE_COPY_KEY_REASON
                for pack in ("HIPAA.Security", "NIST.800.53.R5")
            },
        )
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        add_json_smoke_test(self.endpoint, settings.smoke_test)
        if settings.provisioned_concurrency is not None:  # on demand, SageMaker scales by itself
            self.endpoint.find_variant(variant.variant_name).auto_scale_provisioned_concurrency(
                min_capacity=settings.provisioned_concurrency, max_capacity=settings.max_concurrency
            ).scale_on_utilization("Utilization", target_utilization=PROVISIONED_UTILIZATION)
        add_monitoring(self, self.endpoint)
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
