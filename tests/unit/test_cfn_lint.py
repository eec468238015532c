"""cfn-lint on a template that uses every option of every construct (the sample app's are linted too)."""

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    AsyncLocations,
    BodyCheck,
    ContainerImage,
    Endpoint,
    EndpointConfig,
    ExpectedResponse,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
    S3Location,
    SmokeTestPayload,
    SmokeTestProvider,
)
from tests.support import ROOT, cfn_lint, template


def test_a_template_with_every_option_is_cfn_lint_clean(stack):
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Models", encryption_key=key)
    in_vpc = Model(
        stack,
        "InVpc",
        container=ContainerImage.from_ecr_repository(ecr.Repository(stack, "Repo"), digest="sha256:" + "b" * 64),
        model_data=ModelData.from_bucket(bucket, "v1/model.tar.gz"),
        environment={"SAGEMAKER_PROGRAM": "inference.py"},
        network_isolation=True,
        vpc=vpc,
    )
    local = Model(
        stack,
        "Local",
        container=ContainerImage.from_asset(str(ROOT / "containers" / "sentiment-server")),
        model_data=ModelData.from_local_directory(str(ROOT / "containers" / "sentiment-model")),
        role=in_vpc.execution_role,
    )
    config = EndpointConfig(
        stack,
        "Config",
        kms_key=key,
        production_variants=[
            ProductionVariant(
                model=in_vpc,
                variant_name="Gpu",
                instance_type=InstanceType.of("ml.p3.2xlarge"),  # EBS-backed: takes a volume size and key
                initial_instance_count=2,
                initial_variant_weight=0,
                volume_size_in_gb=256,
                model_data_download_timeout=Duration.minutes(30),
                container_startup_health_check_timeout=Duration.minutes(30),
                inference_ami_version="al2-ami-sagemaker-inference-gpu-2",
            ),
        ],
    )
    config.add_production_variant(
        ProductionVariant(model=local, variant_name="Cpu", instance_type=InstanceType.ML_C5_XLARGE)
    )
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name="kitchen-sink")
    endpoint.grant_invoke(iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal()))
    endpoint.metric_invocation_5xx_errors("Cpu").create_alarm(stack, "Errors", threshold=1, evaluation_periods=1)

    sync_test = endpoint.add_smoke_test(
        payload=SmokeTestPayload.from_text("great"),
        expect=ExpectedResponse(body=BodyCheck.matches("positive|negative")),
        target_variant="Cpu",
        timeout=Duration.minutes(20),
    )
    imported = Endpoint.from_endpoint_name(stack, "Async", "async-endpoint")
    imported.add_smoke_test(
        payload=SmokeTestPayload.from_json({"text": "great"}),
        expect=ExpectedResponse(body=BodyCheck.contains("positive")),
        async_locations=AsyncLocations(input=S3Location(bucket, "in/"), output=S3Location(bucket, "out/")),
    )
    assert sync_test.provider is SmokeTestProvider.of(stack)

    assert cfn_lint(template(stack).to_json(), regions=["us-east-1", "eu-central-1"]) == []
