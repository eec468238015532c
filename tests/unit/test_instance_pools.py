"""Fallback instance types (InstancePools): rendering in priority order and the rules that keep them alike."""

import pytest
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    EndpointConfig,
    InferenceComponentHostVariant,
    InstanceType,
    Model,
    ModelData,
    S3Location,
)
from tests.support import cfn_lint, ecr_image, ecr_model, expect_problems, only_resource, template, variant

G5, G6, G6E = (InstanceType.of(f"ml.{family}.2xlarge") for family in ("g5", "g6", "g6e"))


def test_fallbacks_render_as_pools_after_the_instance_type_and_lint_clean(stack):
    EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), instance_type=G6,
                                                                 fallback_instance_types=[G6E])])  # fmt: skip
    [rendered] = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"]
    assert "InstanceType" not in rendered
    assert rendered["InstancePools"] == [
        {"InstanceType": "ml.g6.2xlarge", "Priority": 1},
        {"InstanceType": "ml.g6e.2xlarge", "Priority": 2},
    ]
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []


def test_a_component_host_takes_fallbacks_too(stack):
    host = InferenceComponentHostVariant(instance_type=G6, fallback_instance_types=[G6E])
    EndpointConfig(stack, "Config", production_variants=[host])
    [rendered] = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"]
    assert [pool["InstanceType"] for pool in rendered["InstancePools"]] == ["ml.g6.2xlarge", "ml.g6e.2xlarge"]


@pytest.mark.parametrize(
    ("instance_type", "fallbacks", "fragments"),
    [
        (
            G6,
            [InstanceType.ML_M5_LARGE],
            ["[InstancePools] production_variants[0].fallback_instance_types[0] = 'ml.m5.large'", "GPUs on one type"],
        ),
        (
            InstanceType.of("ml.g5.12xlarge"),
            [InstanceType.of("ml.g4dn.xlarge")],
            ["= 'ml.g4dn.xlarge'", "1 GPUs where ml.g5.12xlarge has 4"],
        ),
        (G6, [G6E, G6E], ["fallback_instance_types[1] = 'ml.g6e.2xlarge'", "it is listed already"]),
        (G6, [G6], ["fallback_instance_types[0] = 'ml.g6.2xlarge'", "it is listed already"]),
        (G6, [InstanceType.of("ml.g6.9xlarge")], ["[Api.ProductionVariantInstanceType]"]),
        (G5, [G6, G6E, *(InstanceType.of(f"ml.g6.{n}xlarge") for n in (4, 8, 16))], ["[Api.InstancePoolList]"]),
        (G6, "ml.g6e.2xlarge", ["[WrongType] production_variants[0].fallback_instance_types"]),
    ],
)
def test_fallback_rules(stack, instance_type, fallbacks, fragments):
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[
                variant(ecr_model(stack), instance_type=instance_type, fallback_instance_types=fallbacks)
            ],
        ),
        "TestStack/Config",
        *fragments,
    )


def test_a_multi_model_endpoint_refuses_fallbacks(stack):
    models = Model(
        stack,
        "Mme",
        container=ecr_image(stack),
        model_data=ModelData.multi_model(S3Location(s3.Bucket(stack, "Models"), "m/")),
    )
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[
                variant(
                    models,
                    instance_type=InstanceType.ML_M5_LARGE,
                    fallback_instance_types=[InstanceType.of("ml.m6i.large")],
                )
            ],
        ),
        "[InstancePools] production_variants[0].fallback_instance_types = ['ml.m6i.large']",
        "single-model and inference-component endpoints",
    )
