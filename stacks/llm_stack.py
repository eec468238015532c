"""Sample stack: a large language model (TGI) as an inference component on a GPU host; synth and snapshot only
unless asked for (``-c llm-sample=true``), as a GPU instance costs dollars per hour."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk_sagemaker_inference import (
    BodyCheck,
    ComputeRequirements,
    Endpoint,
    EndpointConfig,
    ExpectedResponse,
    InferenceComponent,
    InferenceComponentHostVariant,
    InstanceType,
    LargeLanguageModel,
    LlmServer,
    ManagedInstanceScaling,
    Model,
    SmokeTestPayload,
    acknowledge_nag_findings,
)

from .app_config import LlmSettings
from .sample_parts import acknowledge_single_instance, add_monitoring

LOCAL_STORAGE_REASON = (
    "the GPU host type (g5) has local NVMe instance storage and no EBS volume; SageMaker refuses a volume KMS key "
    "for such types, and the instance store is encrypted at rest by the instance's hardware"
)

CONTEXT_KEY = "llm-sample"
"""Context key that adds this stack to the sample app (``-c llm-sample=true``)."""


class LlmEndpointStack(Stack):
    """A Hugging Face Hub model served by TGI, sharded over the GPUs a component asks for, on a host SageMaker
    scales; the smoke test sends a short prompt and wants generated text back."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: LlmSettings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        host = InferenceComponentHostVariant(
            instance_type=InstanceType.of(settings.instance_type),
            managed_instance_scaling=ManagedInstanceScaling(
                min_instance_count=1, max_instance_count=settings.max_instance_count
            ),
        )
        config = EndpointConfig(self, "EndpointConfig", production_variants=[host])
        acknowledge_nag_findings(
            config.resource,
            {
                f"{pack}-SageMakerEndpointConfigurationKMSKeyConfigured": LOCAL_STORAGE_REASON
                for pack in ("HIPAA.Security", "NIST.800.53.R5")
            },
        )
        acknowledge_single_instance(config, 1)
        token = (
            secretsmanager.Secret.from_secret_name_v2(self, "HuggingFaceToken", settings.hf_token_secret_name)
            if settings.hf_token_secret_name
            else None
        )
        llm = LargeLanguageModel(
            server=LlmServer.TGI,
            model_id=settings.model_id,
            gpus=settings.gpus,
            max_input_tokens=settings.max_input_tokens,
            max_total_tokens=settings.max_total_tokens,
            hf_token=token,
        )
        model = Model(self, "Model", llm=llm, role=config.execution_role)
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config)
        self.component = InferenceComponent(
            self,
            "Llm",
            endpoint=self.endpoint,
            model=model,
            compute=ComputeRequirements(
                min_memory_required_in_mb=settings.memory_mb, number_of_accelerator_devices_required=settings.gpus
            ),
        )
        self.endpoint.add_smoke_test(
            payload=SmokeTestPayload.from_json({"inputs": settings.prompt, "parameters": {"max_new_tokens": 8}}),
            expect=ExpectedResponse(content_type="application/json", body=BodyCheck.contains('"generated_text"')),
            inference_component=self.component,
        )
        add_monitoring(self, self.endpoint)
        CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name)
        CfnOutput(self, "InferenceComponentName", value=self.component.inference_component_name)
