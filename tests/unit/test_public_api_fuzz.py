"""Property: every public constructor and method, given one ill-typed, NaN/inf, extreme, token or odd argument and
valid others, ends in a clean synth or the library's ValidationError, and the jsii kernel survives.

`CALLS` holds a valid call of each public callable; a test keeps it complete against the package's public
names. In CI each (callable, argument) pair gets bad values in turn (deterministic); ``make fuzz`` draws every
combination at random, thousands of examples (``FUZZ_EXAMPLES``), and prints counts per outcome.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import CfnParameter, Duration, Stack, Token
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cdk_sagemaker_inference as lib
from cdk_sagemaker_inference import (
    AlarmThresholds,
    AsyncInference,
    AsyncLocations,
    BlueGreenDeployment,
    CapacitySize,
    ClarifyExplainer,
    ClarifyInference,
    ClarifyText,
    ComponentRollingUpdate,
    ComputeRequirements,
    ContainerImage,
    CoreDump,
    DataCapture,
    DataQualityMonitor,
    Endpoint,
    EndpointAlarms,
    EndpointConfig,
    EndpointDashboard,
    EndpointMetrics,
    EndpointSmokeTest,
    EndpointStacks,
    ExecutionRole,
    ExpectedResponse,
    InferenceComponent,
    InferenceComponentHostVariant,
    InstanceType,
    LargeLanguageModel,
    ManagedInstanceScaling,
    Model,
    ModelContainer,
    ModelData,
    MonitorSchedule,
    ProductionVariant,
    RollingDeployment,
    S3Location,
    ServerlessProductionVariant,
    ShadowTest,
    SmokeTestPayload,
    TrafficRouting,
    ValidationError,
    validate,
)
from tests.support import ROOT, new_app
from tests.unit.test_property_based import assert_names_path_property_value_and_fix

IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"
PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package"
SERVER = ROOT / "containers" / "sentiment-server"
MODEL_DIRECTORY = ROOT / "containers" / "sentiment-model"


@dataclass(frozen=True)
class Files:
    model_archive: Path
    payload: Path


@functools.cache
def files() -> Files:
    """A model archive and a JSON payload on disk, made once per run."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    with tarfile.open(folder / "model.tar.gz", "w:gz") as archive:
        archive.add(MODEL_DIRECTORY, arcname=".")
    (folder / "payload.json").write_text('{"inputs": [1]}')
    return Files(folder / "model.tar.gz", folder / "payload.json")


MODEL_URL = "s3://bucket-1/model.tar.gz"


class World:
    """One fresh stack and, built on first use, the constructs a call needs (valid ones)."""

    def __init__(self) -> None:
        self.app = new_app()
        self.stack = Stack(self.app, "Fuzz")

    def token_number(self) -> Any:
        return CfnParameter(self.stack, f"N{len(self.stack.node.children)}", type="Number").value_as_number

    def token_text(self) -> Any:
        return CfnParameter(self.stack, f"S{len(self.stack.node.children)}").value_as_string

    @cached_property
    def image(self) -> ContainerImage:
        return ContainerImage.from_image_uri(IMAGE_URI)

    @cached_property
    def bucket(self) -> s3.IBucket:
        return s3.Bucket.from_bucket_name(self.stack, "Bucket", "bucket-1")

    @cached_property
    def key(self) -> kms.IKey:
        return kms.Key(self.stack, "Key", enable_key_rotation=True)

    @cached_property
    def vpc(self) -> Any:
        from aws_cdk import aws_ec2 as ec2

        return ec2.Vpc(self.stack, "Vpc", max_azs=2, nat_gateways=0)

    @cached_property
    def topic(self) -> sns.ITopic:
        return sns.Topic(self.stack, "Topic")

    @cached_property
    def role(self) -> ExecutionRole:
        return ExecutionRole(self.stack, "Role")

    @cached_property
    def model(self) -> Model:
        data = ModelData.from_s3_url(MODEL_URL)
        return Model(self.stack, "Model", container=self.image, model_data=data, role=self.role)

    def variant(self, **kwargs: Any) -> ProductionVariant:
        kwargs.setdefault("instance_type", InstanceType.ML_M5_LARGE)
        kwargs.setdefault("initial_instance_count", 2)
        return ProductionVariant(model=self.model, **kwargs)

    def config(self, construct_id: str = "Config", **kwargs: Any) -> EndpointConfig:
        kwargs.setdefault("production_variants", [self.variant()])
        return EndpointConfig(self.stack, construct_id, **kwargs)

    @cached_property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.stack, "Endpoint", endpoint_config=self.config())

    @cached_property
    def guarded(self) -> Endpoint:
        """An endpoint with a blue/green deployment, which rollback alarms guard."""
        deployment = BlueGreenDeployment(traffic_routing=TrafficRouting.all_at_once(wait_interval=Duration.minutes(10)))
        return Endpoint(self.stack, "Guarded", endpoint_config=self.config("GuardedConfig"), deployment=deployment)

    @cached_property
    def serverless_endpoint(self) -> Endpoint:
        variant = ServerlessProductionVariant(
            model=self.model, memory_size_in_mb=2048, max_concurrency=5, provisioned_concurrency=1
        )
        config = self.config("ServerlessConfig", production_variants=[variant])
        return Endpoint(self.stack, "Serverless", endpoint_config=config)

    @cached_property
    def async_endpoint(self) -> Endpoint:
        config = self.config("AsyncConfig", async_inference=AsyncInference(output=S3Location(self.bucket, "out/")))
        return Endpoint(self.stack, "Async", endpoint_config=config)

    @cached_property
    def hosting(self) -> Endpoint:
        host = InferenceComponentHostVariant(instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)
        config = EndpointConfig(self.stack, "Hosts", production_variants=[host], execution_role=self.role)
        return Endpoint(self.stack, "Hosting", endpoint_config=config)

    @cached_property
    def component(self) -> InferenceComponent:
        return InferenceComponent(
            self.stack, "Component", endpoint=self.hosting, model=self.model, compute=self.compute, copy_count=2
        )

    @cached_property
    def compute(self) -> ComputeRequirements:
        return ComputeRequirements(min_memory_required_in_mb=1024)

    @cached_property
    def instances(self) -> Any:
        return self.endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=4)

    @cached_property
    def concurrency(self) -> Any:
        variant = self.serverless_endpoint.find_variant("AllTraffic")
        return variant.auto_scale_provisioned_concurrency(min_capacity=1, max_capacity=4)

    @cached_property
    def copies(self) -> Any:
        return self.component.auto_scale_copy_count(min_capacity=1, max_capacity=4)

    @cached_property
    def alarms(self) -> EndpointAlarms:
        return EndpointAlarms(self.stack, "Alarms", endpoint=self.endpoint)

    @cached_property
    def alarm(self) -> cloudwatch.IAlarm:
        return cloudwatch.Alarm.from_alarm_arn(
            self.stack, "Alarm", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"
        )

    def payload(self) -> SmokeTestPayload:
        return SmokeTestPayload.from_json({"inputs": [1, 2]})

    def canary(self) -> TrafficRouting:
        return TrafficRouting.canary(CapacitySize.percent(10), wait_interval=Duration.minutes(10))

    def steps(self) -> list[appscaling.ScalingInterval]:
        return [appscaling.ScalingInterval(upper=100, change=-1), appscaling.ScalingInterval(lower=500, change=1)]


Valid = Callable[[World], Any]


@dataclass(frozen=True)
class Call:
    """A valid call of one public callable: ``run(world, **arguments)``, each argument made by its recipe."""

    name: str
    run: Callable[..., Any]
    arguments: dict[str, Valid]


def constructor(cls: type, /, **arguments: Valid) -> Call:
    return Call(cls.__name__, lambda w, **kw: cls(w.stack, "Subject", **kw), arguments)


def value(cls: type, use: Callable[[World, Any], Any], /, **arguments: Valid) -> Call:
    """A value object, then ``use``d by a construct so its checks run."""
    return Call(cls.__name__, lambda w, **kw: use(w, cls(**kw)), arguments)


def method(name: str, subject: Callable[[World], Any], /, **arguments: Valid) -> Call:
    """``subject(world).<method>(**arguments)``; ``name`` is ``Class.method``."""
    attribute = name.split(".")[1]
    return Call(name, lambda w, **kw: invoke(getattr(subject(w), attribute), kw), arguments)


def static(name: str, use: Callable[[World, Any], Any], /, **arguments: Valid) -> Call:
    """``Class.<static method>(**arguments)``, then ``use``d by a construct."""
    owner, attribute = name.split(".")
    function = getattr(getattr(lib, owner), attribute)
    return Call(name, lambda w, **kw: use(w, invoke(function, kw)), arguments)


def invoke(function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """``function(**arguments)``, an argument named like its ``*args`` passed as the one positional value."""
    spread = [name for name, p in inspect.signature(function).parameters.items() if p.kind is p.VAR_POSITIONAL]
    positional = [arguments.pop(name) for name in spread if name in arguments]
    return function(*positional, **arguments)


def just(x: Any) -> Valid:
    return lambda w: x


def serve_model(w: World, model_data: Any) -> Any:
    return Model(w.stack, "Served", container=w.image, model_data=model_data)


def serve_image(w: World, image: Any) -> Any:
    return Model(w.stack, "Served", container=image)


def serve_package(w: World, package: Any) -> Any:
    return Model(w.stack, "Served", model_package=package, network_isolation=True)


def serve_variant(w: World, variant: Any) -> Any:
    return EndpointConfig(w.stack, "Served", production_variants=[variant])


def deploy(w: World, deployment: Any) -> Any:
    return Endpoint(w.stack, "Deployed", endpoint_config=w.config(), deployment=deployment)


def smoke_test_with(**fixed: Any) -> Callable[[World, Any], Any]:
    def use(w: World, made: Any) -> Any:
        arguments = {"payload": w.payload(), **fixed}
        key = next(name for name, given in fixed.items() if given is None)
        arguments[key] = made
        return w.endpoint.add_smoke_test(**arguments)

    return use


def alarms_with(thresholds: Any) -> Any:
    return lambda w, made: EndpointAlarms(w.stack, "Subject", endpoint=w.endpoint, thresholds=made)


MINUTES_5: Valid = just(Duration.minutes(5))
EMPTY: Valid = just(None)
METRIC_PERIOD: Valid = just(Duration.minutes(1))

CALLS: list[Call] = [
    # Models, images, data
    constructor(
        Model,
        container=lambda w: w.image,
        model_data=lambda w: ModelData.from_s3_url("s3://bucket-1/model.tar.gz"),
        environment=just({"A": "1"}),
        network_isolation=just(False),
        role=lambda w: w.role,
    ),
    value(
        ModelContainer,
        lambda w, c: Model(w.stack, "Served", containers=[c, ModelContainer(image=w.image, hostname="second")]),
        image=lambda w: w.image,
        model_data=EMPTY,
        environment=just({"A": "1"}),
        hostname=just("first"),
    ),
    static(
        "Model.from_model_name",
        lambda w, m: w,
        scope=lambda w: w.stack,
        construct_id=just("Subject"),
        model_name=just("model-1"),
    ),
    static(
        "Model.from_model_arn",
        lambda w, m: w,
        scope=lambda w: w.stack,
        construct_id=just("Subject"),
        model_arn=just("arn:aws:sagemaker:us-east-1:123456789012:model/m"),
    ),
    static("ContainerImage.from_image_uri", serve_image, image_uri=just(IMAGE_URI)),
    static(
        "ContainerImage.from_private_registry",
        lambda w, image: Model(w.stack, "Served", container=image, vpc=w.vpc),
        image_uri=just("registry.example.com/team/model:1"),
        credentials_provider=EMPTY,
    ),
    static(
        "ContainerImage.from_sagemaker_owned",
        serve_image,
        framework=just("xgboost"),
        version=just("1.7-1"),
        processor=EMPTY,
        py_version=EMPTY,
    ),
    value(
        LargeLanguageModel,
        lambda w, llm: Model(w.stack, "Served", llm=llm),
        server=just("tgi"),
        model_id=just("org/model"),
        weights=EMPTY,
        version=EMPTY,
        gpus=just(1),
        max_input_tokens=just(1024),
        max_total_tokens=just(4096),
        quantization=EMPTY,
        hf_token=EMPTY,
        environment=just({"A": "1"}),
    ),
    static("ModelPackage.latest_approved", serve_package, group=just("fraud-models"), artifacts_key=EMPTY),
    static(
        "ModelPackage.from_version_arn",
        serve_package,
        version_arn=just(f"{PACKAGE_ARN}/fraud-models/3"),
        require_approval=just(True),
        artifacts_key=EMPTY,
    ),
    static("ModelPackage.from_marketplace", serve_package, model_package_arn=just(f"{PACKAGE_ARN}/vendor-model")),
    static(
        "ContainerImage.from_asset", serve_image, directory=just(str(SERVER)), build_args=just({"A": "1"}), file=EMPTY
    ),
    static(
        "ContainerImage.from_ecr_repository",
        serve_image,
        repository=lambda w: ecr.Repository.from_repository_name(w.stack, "Repo", "inference"),
        tag=just("1.0"),
        digest=EMPTY,
    ),
    static("ModelData.from_s3_url", serve_model, url=just("s3://bucket-1/model.tar.gz"), kms_key=EMPTY),
    static("ModelData.from_bucket", serve_model, bucket=lambda w: w.bucket, key=just("model.tar.gz")),
    static("ModelData.from_uncompressed", serve_model, bucket=lambda w: w.bucket, key=just("model/")),
    static("ModelData.from_asset", serve_model, path=lambda w: str(files().model_archive)),
    static("ModelData.from_local_directory", serve_model, path=just(str(MODEL_DIRECTORY))),
    static(
        "ModelData.multi_model",
        serve_model,
        location=lambda w: S3Location(w.bucket, "models/"),
        models=just({"a": str(MODEL_DIRECTORY)}),
        model_cache=just(True),
    ),
    static("InstanceType.of", lambda w, t: serve_variant(w, w.variant(instance_type=t)), name=just("ml.m5.large")),
    constructor(ExecutionRole, role=EMPTY),
    method("ExecutionRole.serve_endpoint", lambda w: w.role, endpoint_name=just("endpoint-1")),
    method("ExecutionRole.serve_inference_component", lambda w: w.role, component_name=just("component-1")),
    method(
        "ExecutionRole.grant_ecr_pull",
        lambda w: w.role,
        repository_arn=just("arn:aws:ecr:us-east-1:123456789012:repository/inference"),
    ),
    method(
        "ExecutionRole.grant_artifacts",
        lambda w: w.role,
        repository_arns=just(["arn:aws:ecr:us-east-1:123456789012:repository/inference"]),
        object_arns=just(["arn:aws:s3:::bucket-1/model.tar.gz"]),
        kms_key=EMPTY,
    ),
    method(
        "ExecutionRole.grant_s3_object_read",
        lambda w: w.role,
        object_arn=just("arn:aws:s3:::bucket-1/model.tar.gz"),
        kms_key=EMPTY,
    ),
    method(
        "ExecutionRole.grant_s3_prefix_read",
        lambda w: w.role,
        location=lambda w: S3Location(w.bucket, "in/"),
        list_objects=just(False),
    ),
    method(
        "ExecutionRole.grant_s3_prefix_write",
        lambda w: w.role,
        location=lambda w: S3Location(w.bucket, "out/"),
        kms_key=EMPTY,
    ),
    method("ExecutionRole.grant_topic_publish", lambda w: w.role, topic=lambda w: w.topic),
    method("ExecutionRole.grant_vpc_access", lambda w: w.role),
    method("ExecutionRole.grant_ssm_sessions", lambda w: w.role),
    method(
        "ExecutionRole.add_to_policy",
        lambda w: w.role,
        statements=just(iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::bucket-1/*"])),
    ),
    static(
        "ExecutionRole.shared",
        lambda w, r: w,
        scope=lambda w: w.stack,
        role=lambda w: iam.Role.from_role_name(w.stack, "Shared", "shared"),
    ),
    value(S3Location, lambda w, loc: w.role.grant_s3_prefix_read(loc), bucket=lambda w: w.bucket, prefix=just("p/")),
    # Variants and configs
    value(
        ProductionVariant,
        serve_variant,
        model=lambda w: w.model,
        instance_type=just(InstanceType.ML_M5_LARGE),
        variant_name=just("blue"),
        initial_instance_count=just(2),
        initial_variant_weight=just(1.0),
        volume_size_in_gb=EMPTY,
        model_data_download_timeout=EMPTY,
        container_startup_health_check_timeout=EMPTY,
        routing_strategy=EMPTY,
        managed_instance_scaling=EMPTY,
        enable_ssm_access=just(False),
        instance_provision_timeout=just(Duration.minutes(10)),
        core_dump=lambda w: CoreDump(destination=S3Location(w.bucket, "dumps/")),
        capacity_reservation_arn=just("arn:aws:sagemaker:us-east-1:123456789012:training-plan/abc"),
        fallback_instance_types=just([InstanceType.of("ml.m6i.large")]),
    ),
    value(
        ServerlessProductionVariant,
        serve_variant,
        model=lambda w: w.model,
        memory_size_in_mb=just(2048),
        max_concurrency=just(5),
        provisioned_concurrency=EMPTY,
        variant_name=just("serverless"),
    ),
    value(
        InferenceComponentHostVariant,
        serve_variant,
        instance_type=just(InstanceType.ML_M5_LARGE),
        initial_instance_count=just(1),
        managed_instance_scaling=lambda w: ManagedInstanceScaling(min_instance_count=1, max_instance_count=2),
    ),
    value(
        ManagedInstanceScaling,
        lambda w, s: serve_variant(
            w, InferenceComponentHostVariant(instance_type=InstanceType.ML_M5_LARGE, managed_instance_scaling=s)
        ),
        min_instance_count=just(1),
        max_instance_count=just(2),
    ),
    constructor(
        EndpointConfig,
        production_variants=lambda w: [w.variant()],
        kms_key=EMPTY,
        data_capture=EMPTY,
        execution_role=EMPTY,
        network_isolation=just(False),
        shadow_production_variants=EMPTY,
    ),
    method(
        "EndpointConfig.add_production_variant",
        lambda w: w.endpoint.endpoint_config,
        variant=lambda w: w.variant(variant_name="green"),
    ),
    static(
        "EndpointConfig.from_endpoint_config_name",
        lambda w, c: Endpoint(w.stack, "Served", endpoint_config=c),
        scope=lambda w: w.stack,
        construct_id=just("Subject"),
        name=just("config-1"),
    ),
    static(
        "EndpointConfig.from_endpoint_config_arn",
        lambda w, c: Endpoint(w.stack, "Served", endpoint_config=c),
        scope=lambda w: w.stack,
        construct_id=just("Subject"),
        arn=just("arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/c"),
    ),
    value(
        AsyncInference,
        lambda w, a: w.config("Served", async_inference=a),
        output=lambda w: S3Location(w.bucket, "out/"),
        failure=EMPTY,
        success_topic=EMPTY,
        error_topic=EMPTY,
        kms_key=EMPTY,
        max_concurrent_invocations_per_instance=EMPTY,
        input_locations=just(()),
    ),
    value(
        EndpointMetrics,
        lambda w, m: w.config("Served", metrics=m),
        enhanced=just(True),
        detailed_observability=just(False),
        publish_frequency=just(Duration.seconds(30)),
    ),
    value(
        ClarifyExplainer,
        lambda w, e: w.config("Served", explainer=e),
        baseline=just("0,0,0,0"),
        baseline_mime_type=just("text/csv"),
        enable_explanations=just("[1]>`0.5`"),
        number_of_samples=just(100),
        use_logit=just(False),
        seed=just(7),
        text=EMPTY,
        inference=EMPTY,
    ),
    value(
        ClarifyInference,
        lambda w, i: w.config("Served", explainer=ClarifyExplainer(baseline="1,2", inference=i)),
        features_attribute=just("features"),
        content_template=just('{"features":$features}'),
        max_record_count=just(10),
        max_payload_mb=just(6),
        probability_index=just(1),
        label_index=just(0),
        probability_attribute=just("probability"),
        label_attribute=just("labels"),
        label_headers=just(["cat", "dog"]),
        feature_headers=just(["a", "b"]),
        feature_types=just(["numerical", "categorical"]),
    ),
    value(
        ClarifyText,
        lambda w, t: w.config("Served", explainer=ClarifyExplainer(baseline="1", text=t)),
        language=just("en"),
        granularity=just("token"),
    ),
    method(
        "Endpoint.metric_explanations_per_instance",
        lambda w: Endpoint(
            w.stack, "Explained", endpoint_config=w.config("Served", explainer=ClarifyExplainer(baseline="1"))
        ),
        variant_name=just("AllTraffic"),
        period=METRIC_PERIOD,
    ),
    value(
        CoreDump,
        lambda w, c: serve_variant(
            w, ProductionVariant(model=w.model, instance_type=InstanceType.ML_M5_LARGE, core_dump=c)
        ),
        destination=lambda w: S3Location(w.bucket, "dumps/"),
        kms_key=EMPTY,
    ),
    value(
        DataCapture,
        lambda w, c: w.config("Served", data_capture=c),
        destination=lambda w: S3Location(w.bucket, "capture/"),
        sampling_percentage=just(50),
        capture_input=just(True),
        capture_output=just(True),
        kms_key=EMPTY,
        csv_content_types=EMPTY,
        json_content_types=just(["application/json"]),
        enabled=just(True),
    ),
    constructor(
        ShadowTest,
        endpoint=lambda w: w.endpoint,
        model=lambda w: Model(w.stack, "Candidate", container=w.image, model_data=ModelData.from_s3_url(MODEL_URL)),
        sampling_percentage=just(50),
        instance_type=just(InstanceType.ML_M5_XLARGE),
        instance_count=just(1),
        variant_name=just("Candidate"),
        start=just(datetime(2027, 1, 4, 9, tzinfo=timezone.utc)),
        end=just(datetime(2027, 1, 5, 9, tzinfo=timezone.utc)),
        capture=lambda w: S3Location(w.bucket, "shadow/"),
        capture_kms_key=lambda w: w.key,
        description=just("candidate v2"),
        experiment_name=EMPTY,
    ),
    constructor(
        DataQualityMonitor,
        endpoint=lambda w: Endpoint(
            w.stack,
            "Captured",
            endpoint_config=w.config(
                "CapturedConfig", data_capture=DataCapture(destination=S3Location(w.bucket, "capture/"))
            ),
        ),
        baseline_statistics=lambda w: S3Location(w.bucket, "baseline/statistics.json"),
        baseline_constraints=lambda w: S3Location(w.bucket, "baseline/constraints.json"),
        output=lambda w: S3Location(w.bucket, "reports/"),
        kms_key=lambda w: w.key,
        schedule=just(MonitorSchedule.hourly()),
        max_runtime=just(Duration.minutes(30)),
        instance_type=just(InstanceType.ML_M5_XLARGE),
        instance_count=just(1),
        volume_size_in_gb=just(30),
        publish_metrics=just(True),
    ),
    static("MonitorSchedule.hourly", lambda w, schedule: schedule),
    static("MonitorSchedule.daily", lambda w, schedule: schedule, hour=just(6)),
    static("MonitorSchedule.every", lambda w, schedule: schedule, hours=just(6), start_hour=just(1)),
    # Endpoints
    constructor(Endpoint, endpoint_config=lambda w: w.config(), endpoint_name=EMPTY, deployment=EMPTY),
    static(
        "Endpoint.from_endpoint_name",
        lambda w, e: e.metric_invocations("AllTraffic"),
        scope=lambda w: w.stack,
        construct_id=just("Subject"),
        endpoint_name=just("endpoint-1"),
    ),
    static(
        "Endpoint.from_endpoint_arn",
        lambda w, e: e.metric_invocations("AllTraffic"),
        scope=lambda w: w.stack,
        construct_id=just("Subject"),
        endpoint_arn=just("arn:aws:sagemaker:us-east-1:123456789012:endpoint/e"),
    ),
    static(
        "Endpoint.from_endpoint_attributes",
        lambda w, e: e.metric_invocations("AllTraffic"),
        scope=lambda w: w.stack,
        construct_id=just("Subject"),
        endpoint_name=just("endpoint-1"),
        endpoint_arn=EMPTY,
    ),
    method(
        "Endpoint.grant_invoke",
        lambda w: w.endpoint,
        grantee=lambda w: iam.Role(w.stack, "Caller", assumed_by=iam.AccountRootPrincipal()),
    ),
    method("Endpoint.find_variant", lambda w: w.endpoint, variant_name=just("AllTraffic")),
    method("Endpoint.retain_scaled_capacity", lambda w: w.endpoint),
    method("Endpoint.add_rollback_alarms", lambda w: w.guarded, alarms=lambda w: w.alarm),
    method(
        "Endpoint.metric",
        lambda w: w.endpoint,
        metric_name=just("Invocations"),
        variant_name=just("AllTraffic"),
        statistic=just("Sum"),
        period=METRIC_PERIOD,
        endpoint_config_name=EMPTY,
    ),
    method("Endpoint.metric_invocations", lambda w: w.endpoint, variant_name=just("AllTraffic"), period=METRIC_PERIOD),
    method(
        "Endpoint.metric_model_latency",
        lambda w: w.endpoint,
        variant_name=just("AllTraffic"),
        statistic=just("p99"),
        period=METRIC_PERIOD,
    ),
    method(
        "Endpoint.metric_invocation_5xx_errors",
        lambda w: w.endpoint,
        variant_name=just("AllTraffic"),
        statistic=just("Sum"),
        period=METRIC_PERIOD,
    ),
    method(
        "Endpoint.metric_cpu_utilization", lambda w: w.endpoint, variant_name=just("AllTraffic"), period=METRIC_PERIOD
    ),
    *(
        method(f"Endpoint.{name}", lambda w: w.endpoint, variant_name=just("AllTraffic"), period=METRIC_PERIOD)
        for name in [
            "metric_invocations_per_instance",
            "metric_memory_utilization",
            "metric_disk_utilization",
        ]
    ),
    *(
        method(
            f"Endpoint.{name}",
            lambda w: w.endpoint,
            variant_name=just("AllTraffic"),
            statistic=just("p50"),
            period=METRIC_PERIOD,
        )
        for name in ["metric_overhead_latency", "metric_invocation_4xx_errors"]
    ),
    method("Endpoint.metric_approximate_age_of_oldest_request", lambda w: w.async_endpoint, period=METRIC_PERIOD),
    method("EndpointVariant.metric_invocations", lambda w: w.endpoint.find_variant("AllTraffic"), period=METRIC_PERIOD),
    *(
        method(
            f"EndpointVariant.{name}",
            lambda w: w.endpoint.find_variant("AllTraffic"),
            statistic=just("Sum"),
            period=METRIC_PERIOD,
        )
        for name in ["metric_invocation_5xx_errors", "metric_invocation_4xx_errors"]
    ),
    method(
        "MultiModelData.target_model",
        lambda w: ModelData.multi_model(S3Location(w.bucket, "models/"), models={"a": str(MODEL_DIRECTORY)}),
        name=just("a"),
    ),
    method(
        "Endpoint.metric_approximate_backlog_size",
        lambda w: w.async_endpoint,
        per_instance=just(True),
        period=METRIC_PERIOD,
    ),
    method("Endpoint.metric_has_backlog_without_capacity", lambda w: w.async_endpoint, period=METRIC_PERIOD),
    method(
        "EndpointVariant.metric",
        lambda w: w.endpoint.find_variant("AllTraffic"),
        metric_name=just("Invocations"),
        statistic=just("Sum"),
    ),
    method(
        "EndpointVariant.metric_model_latency",
        lambda w: w.endpoint.find_variant("AllTraffic"),
        statistic=just("p90"),
        period=METRIC_PERIOD,
    ),
    method(
        "EndpointVariant.auto_scale_instance_count",
        lambda w: w.endpoint.find_variant("AllTraffic"),
        min_capacity=just(1),
        max_capacity=just(4),
        guard_instance_type_changes=just(False),
    ),
    method(
        "EndpointVariant.auto_scale_provisioned_concurrency",
        lambda w: w.serverless_endpoint.find_variant("AllTraffic"),
        min_capacity=just(1),
        max_capacity=just(4),
    ),
    # Scaling
    method(
        "InstanceCount.scale_on_invocations",
        lambda w: w.instances,
        construct_id=just("Policy"),
        invocations_per_instance=just(100.0),
        scale_in_cooldown=MINUTES_5,
        scale_out_cooldown=MINUTES_5,
        disable_scale_in=just(False),
    ),
    method(
        "InstanceCount.scale_on_utilization",
        lambda w: w.instances,
        construct_id=just("Policy"),
        metric_name=just("CPUUtilization"),
        target_percent=just(70.0),
        scale_in_cooldown=EMPTY,
    ),
    method(
        "InstanceCount.scale_on_concurrency",
        lambda w: w.instances,
        construct_id=just("Policy"),
        concurrent_requests_per_model=just(5.0),
    ),
    method(
        "InstanceCount.scale_on_metric",
        lambda w: w.instances,
        construct_id=just("Policy"),
        metric=lambda w: w.endpoint.metric_model_latency("AllTraffic"),
        scaling_steps=lambda w: w.steps(),
        cooldown=MINUTES_5,
        evaluation_periods=just(2),
        datapoints_to_alarm=just(1),
    ),
    method(
        "InstanceCount.scale_on_schedule",
        lambda w: w.instances,
        construct_id=just("Night"),
        schedule=just(appscaling.Schedule.cron(hour="20", minute="0")),
        min_capacity=just(1),
        max_capacity=just(2),
    ),
    method(
        "InstanceCount.scale_on_backlog",
        lambda w: w.async_endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=1, max_capacity=4),
        construct_id=just("Policy"),
        backlog_per_instance=just(5.0),
    ),
    method(
        "InstanceCount.scale_out_from_zero",
        lambda w: w.async_endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=0, max_capacity=4),
        construct_id=just("Wake"),
        cooldown=MINUTES_5,
    ),
    method(
        "ProvisionedConcurrency.scale_on_utilization",
        lambda w: w.concurrency,
        construct_id=just("Policy"),
        target_utilization=just(0.7),
        scale_out_cooldown=EMPTY,
    ),
    method(
        "CopyCount.scale_on_invocations",
        lambda w: w.copies,
        construct_id=just("Policy"),
        invocations_per_copy=just(10.0),
    ),
    method(
        "CopyCount.scale_on_concurrency",
        lambda w: w.copies,
        construct_id=just("Policy"),
        concurrent_requests_per_copy=just(4.0),
    ),
    method(
        "CopyCount.scale_out_from_zero",
        lambda w: w.component.auto_scale_copy_count(min_capacity=0, max_capacity=4),
        construct_id=just("Wake"),
        cooldown=EMPTY,
    ),
    # Inference components
    constructor(
        InferenceComponent,
        endpoint=lambda w: w.hosting,
        model=lambda w: w.model,
        compute=lambda w: w.compute,
        copy_count=just(1),
        variant_name=EMPTY,
        model_data_download_timeout=EMPTY,
        inference_component_name=EMPTY,
        deployment=EMPTY,
    ),
    value(
        ComputeRequirements,
        lambda w, c: InferenceComponent(w.stack, "Served", endpoint=w.hosting, model=w.model, compute=c),
        min_memory_required_in_mb=just(1024),
        max_memory_required_in_mb=EMPTY,
        number_of_cpu_cores_required=just(1.0),
        number_of_accelerator_devices_required=EMPTY,
    ),
    method(
        "InferenceComponent.auto_scale_copy_count", lambda w: w.component, min_capacity=just(1), max_capacity=just(3)
    ),
    method("InferenceComponent.metric_no_capacity_invocation_failures", lambda w: w.component, period=METRIC_PERIOD),
    method(
        "InferenceComponent.add_adapter",
        lambda w: w.component,
        construct_id=just("Adapter"),
        artifacts=just(ModelData.from_s3_url("s3://bucket-1/adapter.tar.gz")),
    ),
    # Deployments
    static(
        "TrafficRouting.canary",
        lambda w, r: deploy(w, BlueGreenDeployment(traffic_routing=r)),
        size=just(CapacitySize.percent(10)),
        wait_interval=just(Duration.minutes(10)),
    ),
    static(
        "TrafficRouting.linear",
        lambda w, r: deploy(w, BlueGreenDeployment(traffic_routing=r)),
        step=just(CapacitySize.percent(25)),
        wait_interval=just(Duration.minutes(5)),
    ),
    static(
        "TrafficRouting.all_at_once",
        lambda w, r: deploy(w, BlueGreenDeployment(traffic_routing=r)),
        wait_interval=MINUTES_5,
    ),
    static(
        "CapacitySize.percent",
        lambda w, s: deploy(w, RollingDeployment(maximum_batch_size=s, wait_interval=Duration.minutes(5))),
        value=just(50),
    ),
    static(
        "CapacitySize.instance_count",
        lambda w, s: deploy(w, RollingDeployment(maximum_batch_size=s, wait_interval=Duration.minutes(5))),
        value=just(1),
    ),
    static(
        "CapacitySize.copy_count",
        lambda w, s: InferenceComponent(
            w.stack,
            "Served",
            endpoint=w.hosting,
            model=w.model,
            compute=w.compute,
            copy_count=2,
            deployment=ComponentRollingUpdate(maximum_batch_size=s, wait_interval=Duration.minutes(5)),
        ),
        value=just(1),
    ),
    value(
        BlueGreenDeployment,
        deploy,
        traffic_routing=lambda w: w.canary(),
        rollback_alarms=lambda w: [w.alarm],
        maximum_execution_timeout=EMPTY,
        termination_wait=EMPTY,
    ),
    value(
        RollingDeployment,
        deploy,
        maximum_batch_size=just(CapacitySize.percent(50)),
        wait_interval=MINUTES_5,
        rollback_alarms=lambda w: [w.alarm],
        maximum_execution_timeout=EMPTY,
        rollback_maximum_batch_size=EMPTY,
    ),
    value(
        ComponentRollingUpdate,
        lambda w, d: InferenceComponent(
            w.stack, "Served", endpoint=w.hosting, model=w.model, compute=w.compute, copy_count=4, deployment=d
        ),
        maximum_batch_size=just(CapacitySize.copy_count(1)),
        wait_interval=MINUTES_5,
        rollback_alarms=lambda w: [w.alarm],
        rollback_maximum_batch_size=EMPTY,
    ),
    # Alarms, dashboard, deploy permissions
    constructor(
        EndpointAlarms, endpoint=lambda w: w.endpoint, thresholds=EMPTY, topics=lambda w: {"Critical": w.topic}
    ),
    value(
        AlarmThresholds,
        lambda w, t: EndpointAlarms(w.stack, "Served", endpoint=w.endpoint, thresholds=t),
        error_rate_5xx=just({"Critical": 0.05}),
        latency_p99_ms=just({"Warning": 2000.0}),
        utilization_percent=just({"Warning": 90.0}),
        evaluation_periods=just(3),
    ),
    method(
        "EndpointAlarms.add_alarm",
        lambda w: w.alarms,
        construct_id=just("Custom"),
        metric=lambda w: w.endpoint.metric_invocations("AllTraffic"),
        threshold=just(1000.0),
        severity=just("Warning"),
        treat_missing_data=just(cloudwatch.TreatMissingData.NOT_BREACHING),
        evaluation_periods=just(2),
        datapoints_to_alarm=just(1),
        description=EMPTY,
    ),
    method(
        "EndpointAlarms.add_rollback_alarms",
        lambda w: EndpointAlarms(w.stack, "GuardAlarms", endpoint=w.guarded),
        severity=just("Critical"),
    ),
    method("EndpointAlarms.of_severity", lambda w: w.alarms, severity=just("Warning")),
    constructor(
        EndpointDashboard, endpoint=lambda w: w.endpoint, dashboard_name=EMPTY, alarms=EMPTY, period=METRIC_PERIOD
    ),
    method(
        "EndpointDashboard.add_endpoint",
        lambda w: EndpointDashboard(w.stack, "Shared", endpoint=w.async_endpoint),
        endpoint=lambda w: w.endpoint,
        alarms=lambda w: w.alarms,
    ),
    Call(
        "EndpointStacks",
        lambda w, **kw: EndpointStacks(w.app, **kw).stack_for_endpoint(),
        {"prefix": just("Fleet"), "endpoints_per_stack": just(25)},
    ),
    method("EndpointStacks.stack_for_endpoint", lambda w: EndpointStacks(w.app, "Fleet")),
    Call("deploy_statements", lambda w, **kw: lib.deploy_statements(**kw), {"stack": lambda w: w.stack}),
    Call(
        "grant_deploy",
        lambda w, **kw: lib.grant_deploy(**kw),
        {
            "stack": lambda w: w.stack,
            "principal": lambda w: iam.Role(w.stack, "Deployer", assumed_by=iam.AccountRootPrincipal()),
        },
    ),
    Call("validate", lambda w, **kw: validate(**kw), {"scope": lambda w: w.stack}),
    Call(
        "acknowledge_nag_findings",
        lambda w, **kw: lib.acknowledge_nag_findings(**kw),
        {
            "construct": lambda w: w.topic,
            "reasons": just({"AwsSolutions-SNS3": "a sample topic, no TLS policy needed"}),
        },
    ),
    # Smoke tests
    method(
        "Endpoint.add_smoke_test",
        lambda w: w.endpoint,
        construct_id=EMPTY,
        payload=lambda w: w.payload(),
        expect=just(ExpectedResponse(status=200)),
        target_variant=just("AllTraffic"),
        timeout=just(Duration.minutes(10)),
    ),
    constructor(
        EndpointSmokeTest,
        endpoint=lambda w: w.endpoint,
        payload=lambda w: w.payload(),
        accept=EMPTY,
        target_model=EMPTY,
        inference_component=EMPTY,
        reveal_answers=just(False),
    ),
    constructor(
        EndpointSmokeTest,
        endpoint=lambda w: w.hosting,
        payload=lambda w: w.payload(),
        inference_component=lambda w: w.component,
        inference_component_name=EMPTY,
    ),
    constructor(
        EndpointSmokeTest,
        endpoint=lambda w: w.async_endpoint,
        payload=lambda w: w.payload(),
        async_locations=lambda w: AsyncLocations(input=S3Location(w.bucket, "in/")),
    ),
    value(
        AsyncLocations,
        lambda w, loc: EndpointSmokeTest(
            w.stack, "Served", endpoint=w.async_endpoint, payload=w.payload(), async_locations=loc
        ),
        input=lambda w: S3Location(w.bucket, "in/"),
        output=EMPTY,
        failure=EMPTY,
        invocation_timeout=just(Duration.seconds(90)),
    ),
    value(
        ExpectedResponse,
        smoke_test_with(expect=None),
        status=just(200),
        content_type=just("application/json"),
        body=EMPTY,
    ),
    static(
        "SmokeTestPayload.from_text", smoke_test_with(payload=None), text=just("hello"), content_type=just("text/plain")
    ),
    static(
        "SmokeTestPayload.from_json",
        smoke_test_with(payload=None),
        value=just({"a": 1}),
        content_type=just("application/json"),
    ),
    static("SmokeTestPayload.from_bytes", smoke_test_with(payload=None), body=just(b"\x00"), content_type=EMPTY),
    static(
        "SmokeTestPayload.from_file",
        smoke_test_with(payload=None),
        path=lambda w: str(files().payload),
        content_type=EMPTY,
    ),
    static("BodyCheck.equals", lambda w, b: smoke_test_with(expect=None)(w, ExpectedResponse(body=b)), text=just("ok")),
    static(
        "BodyCheck.contains", lambda w, b: smoke_test_with(expect=None)(w, ExpectedResponse(body=b)), text=just("ok")
    ),
    static(
        "BodyCheck.matches",
        lambda w, b: smoke_test_with(expect=None)(w, ExpectedResponse(body=b)),
        pattern=just(r"\d+"),
    ),
    static(
        "BodyCheck.json_subset",
        lambda w, b: smoke_test_with(expect=None)(w, ExpectedResponse(body=b)),
        value=just({"label": "cat"}),
    ),
]


# Bad values, each a recipe of the world (tokens and Durations need a stack).
BAD: dict[str, Valid] = {
    "None": just(None),
    "nan": just(math.nan),
    "inf": just(math.inf),
    "-inf": just(-math.inf),
    "10**400": just(10**400),
    "-1": just(-1),
    "0": just(0),
    "2.5": just(2.5),
    "True": just(True),
    "''": just(""),
    "'x'": just("x"),
    "long text": just("ä/*?" * 80),
    "token text": World.token_text,
    "token number": World.token_number,
    "{}": just({}),
    "[]": just([]),
    "[None]": just([None]),
    "object()": just(object()),
    "Duration.millis(1500)": just(Duration.millis(1500)),
    "token Duration": lambda w: Duration.seconds(w.token_number()),
    "a Model": lambda w: w.model,
    "'ml.m5.large'": just("ml.m5.large"),
}
# A construct's scope and ID go to the CDK's own Construct, which reports its own errors: not fuzzed here.
CDK_OWN = ("scope", "construct_id")
PAIRS = [(call, argument) for call in CALLS for argument in call.arguments if argument not in CDK_OWN]


def attempt(call: Call, argument: str | None, bad: str | None) -> str:
    """Make ``call`` with ``argument`` replaced by the ``bad`` value; the outcome: ``ok`` (clean synth), ``error``
    (a ValidationError at the call) or ``validate`` (one from `validate` before synth). Anything else fails."""
    world = World()
    arguments = {name: recipe(world) for name, recipe in call.arguments.items()}
    if argument is not None and bad is not None:
        arguments[argument] = BAD[bad](world)
    try:
        call.run(world, **arguments)
    except ValidationError as error:
        assert_names_path_property_value_and_fix(error)
        return "error"
    try:
        validate(world.stack)
    except ValidationError as error:
        assert_names_path_property_value_and_fix(error)
        return "validate"
    world.app.synth()  # after validate passes, synth must too
    return "ok"


# Public classes whose constructor users do not call, each with the reason (their methods are still covered).
NOT_CALLED = {
    "Problem": "made by the library's checks, not by users",
    "ValidationError": "raised by the library",
    "MonitorSchedule": "made by its factories (hourly, daily, every), which are called",
    "IEndpointConfig": "an interface",
    "Variant": "a base class: its subclasses are called",
    "InstanceVariant": "a base class: its subclasses are called",
    "EndpointBase": "a base class: Endpoint and the importers are called",
    "EndpointCore": "a base class: Endpoint and the importers are called",
    "EndpointConfigBase": "a base class: EndpointConfig and the importers are called",
    "ModelBase": "a base class: Model and the importers are called",
    "IModel": "an interface",
    "ScalableCapacity": "a base class: its subclasses are called",
    "ContainerImageConfig": "what ContainerImage.bind returns",
    "ModelDataConfig": "what ModelData.bind returns",
    "ModelPackageConfig": "what ModelPackage.bind returns",
    "InvocationFeatures": "what EndpointConfig.invocation_features returns",
    "RoutingStrategy": "string constants",
    "InferenceExecutionMode": "string constants",
    "LlmServer": "string constants",
    "Severity": "string constants",
    "MultiModelData": "made by ModelData.multi_model, which is called",
    "EndpointVariant": "made by find_variant, which is called",
    "SmokeTestProvider": "made once per stack by the smoke tests",
    **dict.fromkeys(
        [
            "BodyCheck",
            "CapacitySize",
            "ContainerImage",
            "InstanceType",
            "ModelData",
            "ModelPackage",
            "SmokeTestPayload",
            "TrafficRouting",
        ],
        "made by its factory methods, which are called",
    ),
    **dict.fromkeys(["InstanceCount", "ProvisionedConcurrency", "CopyCount"], "made by auto_scale_*, which are called"),
}
# Methods the library calls on user-supplied objects (a protocol), not user entry points.
PROTOCOL = {
    "render",
    "rendered_environment",
    "validate",
    "bind",
    "check",
    "share_of",
    "grant",
    "may_be_at_zero",
    "bake_seconds",
    "body_check_bytes_of",
    "serve_endpoint",
    "check_metric",
    "check_variant",
    "guard_instance_type_changes",
    "problems_with",
    "serve_processing_jobs",
}


def test_calls_cover_every_public_constructor_and_method():
    """A public callable without a valid call in `CALLS` escapes the property: add one (or say why not)."""
    covered = {call.name for call in CALLS}
    covered_functions = {
        getattr(getattr(lib, name.split(".")[0]), name.split(".")[1]) for name in covered if "." in name
    }
    missing = []
    for name in lib.__all__:
        obj = getattr(lib, name)
        if name not in covered and name not in NOT_CALLED:
            missing.append(name)
        if not inspect.isclass(obj):
            continue
        for attribute, member in vars(obj).items():
            callable_member = isinstance(member, (staticmethod, classmethod)) or inspect.isfunction(member)
            entry_point = callable_member and not attribute.startswith("_") and attribute not in PROTOCOL
            if entry_point and getattr(obj, attribute) not in covered_functions:
                missing.append(f"{name}.{attribute}")
    assert missing == [], missing


def test_every_valid_call_synthesizes():
    # Each recipe is valid: otherwise a bad value's outcome would say nothing about the bad value.
    outcomes = {call.name: attempt(call, None, None) for call in CALLS}
    assert {name: outcome for name, outcome in outcomes.items() if outcome != "ok"} == {}


@pytest.mark.parametrize(("call", "argument"), PAIRS, ids=[f"{c.name}-{a}" for c, a in PAIRS])
def test_each_argument_given_bad_values_ends_in_a_clean_synth_or_a_validation_error(call, argument):
    index = PAIRS.index((call, argument))
    names = list(BAD)
    for bad in (names[index % len(names)], names[(index * 7 + 3) % len(names)]):  # two per pair, rotating
        attempt(call, argument, bad)


@pytest.mark.fuzz
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.sampled_from(PAIRS), st.sampled_from(list(BAD)))
def test_fuzz_every_argument_with_every_bad_value(pair, bad):
    call, argument = pair
    OUTCOMES[attempt(call, argument, bad)] += 1


OUTCOMES: Counter[str] = Counter()


@pytest.mark.fuzz
def test_fuzz_report():
    """Runs after the fuzz test (file order): how its examples ended, for the closing note."""
    print(
        f"\nfuzz: {sum(OUTCOMES.values())} examples over {len(PAIRS)} arguments of {len(CALLS)} calls: "
        + ", ".join(f"{outcome} {count}" for outcome, count in OUTCOMES.most_common())
    )
    assert sum(OUTCOMES.values()) > 0


def test_the_jsii_kernel_survives():
    assert Token.is_unresolved(Token.as_string({"Ref": "X"}))
