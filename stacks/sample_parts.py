"""What the sample stacks share: the sentiment model, its volume key, its JSON smoke test, its monitoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_sagemaker_inference import (
    BodyCheck,
    ContainerImage,
    EndpointAlarms,
    EndpointBase,
    EndpointConfig,
    EndpointDashboard,
    EndpointSmokeTest,
    ExpectedResponse,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
    Severity,
    SmokeTestPayload,
)

from .app_config import SmokeTestSettings


def sentiment_model(
    scope: Construct, construct_id: str, *, image_directory: Path, model_directory: Path, **options: Any
) -> Model:
    """The sample server image and the lexicon model; ``options`` as `Model` takes them."""
    return Model(
        scope,
        construct_id,
        container=ContainerImage.from_asset(str(image_directory)),
        model_data=ModelData.from_local_directory(str(model_directory)),
        **options,
    )


def volume_key(scope: Construct, description: str) -> kms.Key:
    """A rotated key for ML storage volumes; a sample's, so it goes with the stack (after 7 days)."""
    return kms.Key(
        scope,
        "VolumeKey",
        description=description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,
        pending_window=Duration.days(7),
    )


def add_json_smoke_test(
    endpoint: EndpointBase, settings: SmokeTestSettings, construct_id: str | None = None, **options: Any
) -> EndpointSmokeTest:
    """Send the configured JSON; the answer must be JSON holding the expected subset."""
    return endpoint.add_smoke_test(
        construct_id,
        payload=SmokeTestPayload.from_json(settings.payload),
        expect=ExpectedResponse(content_type="application/json", body=BodyCheck.json_subset(settings.expect)),
        **options,
    )


def instance_config(
    scope: Construct, model: Model, *, instance_type: str, instance_count: int, purpose: str, **options: Any
) -> EndpointConfig:
    """One variant of ``model`` on ``instance_count`` instances, volumes under a sample key (``purpose`` names
    the sample in its description); ``options`` as `EndpointConfig` takes them."""
    variant = ProductionVariant(
        model=model, instance_type=InstanceType.of(instance_type), initial_instance_count=instance_count
    )
    config = EndpointConfig(
        scope,
        "EndpointConfig",
        production_variants=[variant],
        kms_key=volume_key(scope, f"Encrypts the {purpose} endpoint's ML storage volumes"),
        **options,
    )
    acknowledge_single_instance(config, instance_count)
    return config


def acknowledge_single_instance(config: EndpointConfig, instance_count: int) -> None:
    """A sample may run on one instance: acknowledge the library's SingleInstance warning then, saying why."""
    if instance_count < 2:
        Validations.of(config).acknowledge(
            Acknowledgment(
                id="cdk-sagemaker-inference:SingleInstance",
                reason="a sample on one instance to keep its cost low; production endpoints run 2 or more so "
                "SageMaker spreads them across Availability Zones",
            )
        )


def add_monitoring(scope: Construct, endpoint: EndpointBase) -> EndpointAlarms:
    """The recommended alarms of ``endpoint`` notifying one encrypted topic (subscribe to it after deploy), and
    its dashboard."""
    key = kms.Key(
        scope,
        "AlarmTopicKey",
        description="Encrypts the sample's alarm notifications",
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,
        pending_window=Duration.days(7),
    )
    # CloudWatch publishes to an encrypted topic only if the key lets it (an AWS-managed key cannot).
    key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
    topic = sns.Topic(scope, "AlarmTopic", master_key=key, enforce_ssl=True)
    alarms = EndpointAlarms(
        scope, "Alarms", endpoint=endpoint, topics={Severity.CRITICAL: topic, Severity.WARNING: topic}
    )
    EndpointDashboard(scope, "Dashboard", endpoint=endpoint, alarms=alarms)
    return alarms
