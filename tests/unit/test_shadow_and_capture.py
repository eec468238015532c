"""Shadow variants, data capture and uncompressed model data: rendering, grants, and what each refuses."""

import json

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    AsyncInference,
    DataCapture,
    Endpoint,
    EndpointConfig,
    InstanceType,
    Model,
    ModelContainer,
    ModelData,
    ModelPackage,
    S3Location,
    ServerlessProductionVariant,
)
from tests.support import ecr_image, ecr_model, expect_problems, only_resource, variant


def shadow_config(stack, **kwargs):
    production = variant(ecr_model(stack, "Production"), variant_name="Production")
    shadow = variant(ecr_model(stack, "Candidate"), variant_name="Shadow", initial_variant_weight=0.5)
    return EndpointConfig(
        stack, "Config", production_variants=[production], shadow_production_variants=[shadow], **kwargs
    )


def capture(stack, **kwargs):
    return DataCapture(destination=S3Location(s3.Bucket(stack, "Captures"), "capture/"), **kwargs)


def test_a_shadow_variant_is_rendered_beside_the_production_variant(stack):
    config = shadow_config(stack)
    properties = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]
    [shadow] = properties["ShadowProductionVariants"]
    assert shadow["VariantName"] == "Shadow" and shadow["InitialVariantWeight"] == 0.5
    assert [variant.variant_name for variant in config.all_variants] == ["Production", "Shadow"]


def test_metrics_of_the_shadow_variant_are_allowed(stack):
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=shadow_config(stack))
    metric = endpoint.metric_model_latency("Shadow")
    assert metric.dimensions["VariantName"] == "Shadow"


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda stack: {
                "production_variants": [variant(ecr_model(stack, "A"), variant_name="A")],
                "shadow_production_variants": [
                    variant(ecr_model(stack, "B"), variant_name="B"),
                    variant(ecr_model(stack, "C"), variant_name="C"),
                ],
            },
            ["[ShadowVariants] shadow_production_variants = '2 shadow and 1 production variants'"],
        ),
        (
            lambda stack: {
                "production_variants": [
                    variant(ecr_model(stack, "A"), variant_name="A"),
                    variant(ecr_model(stack, "B"), variant_name="B"),
                ],
                "shadow_production_variants": [variant(ecr_model(stack, "C"), variant_name="C")],
            },
            ["[ShadowVariants] shadow_production_variants = '1 shadow and 2 production variants'"],
        ),
        (
            lambda stack: {
                "production_variants": [variant(ecr_model(stack, "A"), variant_name="A")],
                "shadow_production_variants": [variant(ecr_model(stack, "B"), variant_name="A")],
            },
            ["[UniqueVariantNames] production_variants[*].variant_name"],
        ),
        (
            lambda stack: {
                "production_variants": [variant(ecr_model(stack, "A"), variant_name="A")],
                "shadow_production_variants": [ServerlessProductionVariant(model=ecr_model(stack, "B"))],
            },
            ["[WrongType] shadow_production_variants", "a shadow variant runs on instances"],
        ),
        (
            lambda stack: {
                "production_variants": [variant(ecr_model(stack, "A"), variant_name="A")],
                "shadow_production_variants": [variant(ecr_model(stack, "B"), variant_name="B")],
                "async_inference": AsyncInference(),
            },
            ["[ShadowUnsupported] shadow_production_variants[0] = 'a shadow variant with async_inference'"],
        ),
        (
            lambda stack: {
                "production_variants": [
                    variant(
                        Model(
                            stack,
                            "Mme",
                            container=ecr_image(stack),
                            model_data=ModelData.multi_model(S3Location(s3.Bucket(stack, "Models"), "m/")),
                        ),
                        variant_name="A",
                    )
                ],
                "shadow_production_variants": [variant(ecr_model(stack, "B"), variant_name="B")],
            },
            ["[ShadowUnsupported] production_variants[0].model = 'a multi-model model with a shadow variant'"],
        ),
        (
            lambda stack: {
                "production_variants": [
                    variant(
                        Model(stack, "Pipe", containers=[ModelContainer(image=ecr_image(stack))] * 2),
                        variant_name="A",
                    )
                ],
                "shadow_production_variants": [variant(ecr_model(stack, "B"), variant_name="B")],
            },
            ["[ShadowUnsupported] production_variants[0].model = 'a multi-container model with a shadow variant'"],
        ),
        (
            lambda stack: {
                "production_variants": [variant(ecr_model(stack, "A"), variant_name="A")],
                "shadow_production_variants": [
                    variant(ecr_model(stack, "B"), variant_name="B", instance_type=InstanceType.of("ml.inf1.xlarge"))
                ],
            },
            ["[ShadowUnsupported] shadow_production_variants[0].instance_type = 'ml.inf1.xlarge'"],
        ),
        (
            lambda stack: {
                "production_variants": [
                    variant(
                        Model(
                            stack,
                            "Vendor",
                            model_package=ModelPackage.from_marketplace(
                                "arn:aws:sagemaker:us-east-1:865070037744:model-package/vendor"
                            ),
                            network_isolation=True,
                        ),
                        variant_name="A",
                    )
                ],
                "shadow_production_variants": [variant(ecr_model(stack, "B"), variant_name="B")],
            },
            ["[ShadowUnsupported] production_variants[0].model = 'an AWS Marketplace model package with a shadow"],
        ),
    ],
)
def test_shadow_rules(stack, build, fragments):
    expect_problems(lambda: EndpointConfig(stack, "Config", **build(stack)), "TestStack/Config", *fragments)


def test_data_capture_is_rendered_and_each_model_may_write_there(stack):
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    model = ecr_model(stack)
    EndpointConfig(
        stack,
        "Config",
        production_variants=[variant(model)],
        data_capture=capture(
            stack, sampling_percentage=20, capture_output=False, kms_key=key, json_content_types=["application/json"]
        ),
    )
    rendered = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["DataCaptureConfig"]
    assert rendered["InitialSamplingPercentage"] == 20 and rendered["EnableCapture"] is True
    assert rendered["CaptureOptions"] == [{"CaptureMode": "Input"}]
    assert rendered["CaptureContentTypeHeader"] == {"JsonContentTypes": ["application/json"]}
    assert "KmsKeyId" in rendered
    statements = json.dumps(model.execution_role.statements)
    assert "s3:PutObject" in statements and '/capture/*"' in statements and "kms:GenerateDataKey" in statements


def test_a_shadow_config_with_data_capture_synthesizes(stack):
    shadow_config(stack, data_capture=capture(stack))
    assert only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["DataCaptureConfig"]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (
            {"sampling_percentage": 101},
            "[Api.SamplingPercentage] data_capture.sampling_percentage (InitialSamplingPercentage) = 101",
        ),
        ({"capture_input": False, "capture_output": False}, "[DataCapture] data_capture.capture_input = False"),
        ({"csv_content_types": ["text csv"]}, "[Api.CsvContentType] data_capture.csv_content_types[0] = 'text csv'"),
        ({"json_content_types": ["application/json"] * 11}, "[Api.JsonContentTypes] data_capture.json_content_types"),
    ],
)
def test_data_capture_rules(stack, options, fragment):
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(ecr_model(stack))], data_capture=capture(stack, **options)
        ),
        fragment,
    )


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        (
            lambda stack: Model(
                stack,
                "Mme",
                container=ecr_image(stack),
                model_data=ModelData.multi_model(S3Location(s3.Bucket(stack, "Models"), "m/")),
            ),
            "[DataCapture] production_variants[0].model = 'a multi-model model with data_capture'",
        ),
        (
            lambda stack: Model(stack, "Pipe", containers=[ModelContainer(image=ecr_image(stack))] * 2),
            "[DataCapture] production_variants[0].model = 'a multi-container model with data_capture'",
        ),
    ],
)
def test_data_capture_refuses_multi_model_and_multi_container(stack, model, fragment):
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(model(stack))], data_capture=capture(stack)
        ),
        fragment,
    )


def test_serverless_refuses_data_capture_naming_both(stack):
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[ServerlessProductionVariant(model=ecr_model(stack))],
            data_capture=capture(stack),
        ),
        "[DataCapture] production_variants[0] = 'serverless with data_capture'",
    )


@pytest.mark.parametrize(("key", "data_type"), [("weights/", "S3Prefix"), ("weights/model.safetensors", "S3Object")])
def test_uncompressed_model_data_is_a_model_data_source(stack, key, data_type):
    bucket = s3.Bucket(stack, "Weights")
    model = Model(stack, "Model", container=ecr_image(stack), model_data=ModelData.from_uncompressed(bucket, key))
    container = only_resource(stack, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    source = container["ModelDataSource"]["S3DataSource"]
    assert source["S3DataType"] == data_type and source["CompressionType"] == "None"
    assert "ModelDataUrl" not in container
    statements = json.dumps(model.execution_role.statements)
    assert ("s3:ListBucket" in statements) == (data_type == "S3Prefix")


def test_serverless_refuses_uncompressed_model_data(stack):
    model = Model(
        stack,
        "Model",
        container=ecr_image(stack),
        model_data=ModelData.from_uncompressed(s3.Bucket(stack, "Weights"), "weights/"),
    )
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[ServerlessProductionVariant(model=model)]),
        "[UncompressedData] production_variants[0].model = 'uncompressed model data (ModelDataSource)'",
    )


def test_uncompressed_data_refuses_a_wildcard_key(stack):
    expect_problems(
        lambda: Model(
            stack,
            "Model",
            container=ecr_image(stack),
            model_data=ModelData.from_uncompressed(s3.Bucket(stack, "Weights"), "w*/"),
        ),
        "[NoWildcardKey] model_data.prefix = 'w*/'",
    )
