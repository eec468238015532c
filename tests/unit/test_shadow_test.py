"""ShadowTest (AWS::SageMaker::InferenceExperiment): rendering, the experiment role, and the shadow rules it
shares with a config's shadow variant."""

from datetime import datetime, timedelta, timezone

import pytest
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    AsyncInference,
    Endpoint,
    EndpointConfig,
    InstanceType,
    S3Location,
    ServerlessProductionVariant,
    ShadowTest,
)
from tests.support import (
    cfn_lint,
    component_endpoint,
    ecr_model,
    expect_problems,
    nag_findings,
    only_resource,
    template,
    variant,
)

START = datetime(2027, 1, 4, 9, tzinfo=timezone.utc)


def endpoint_of(stack, *variants, **config_kwargs):
    made = variants or (variant(ecr_model(stack, "Production"), variant_name="Live", initial_instance_count=2),)
    config = EndpointConfig(stack, "Config", production_variants=list(made), **config_kwargs)
    return Endpoint(stack, "Endpoint", endpoint_config=config)


def test_a_shadow_test_mirrors_the_production_fleet_and_lints_clean(stack):
    endpoint = endpoint_of(stack)
    bucket = s3.Bucket(stack, "Captures")
    ShadowTest(
        stack,
        "Candidate",
        endpoint=endpoint,
        model=ecr_model(stack, "CandidateModel"),
        sampling_percentage=50,
        start=START,
        end=START + timedelta(days=3),
        capture=S3Location(bucket, "shadow/"),
    )
    properties = only_resource(stack, "AWS::SageMaker::InferenceExperiment")["Properties"]
    assert properties["Type"] == "ShadowMode"
    assert properties["ShadowModeConfig"] == {
        "ShadowModelVariants": [{"SamplingPercentage": 50, "ShadowModelVariantName": "Shadow"}],
        "SourceModelVariantName": "Live",
    }
    infrastructure = [v["InfrastructureConfig"]["RealTimeInferenceConfig"] for v in properties["ModelVariants"]]
    assert infrastructure == [{"InstanceCount": 2, "InstanceType": "ml.m5.large"}] * 2
    assert properties["Schedule"] == {"StartTime": "2027-01-04T09:00:00Z", "EndTime": "2027-01-07T09:00:00Z"}
    assert properties["Name"].startswith("TestStack-Candidate-")
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []


def test_the_experiment_role_manages_this_endpoint_and_describes_only_its_two_models(stack):
    endpoint = endpoint_of(stack)
    test = ShadowTest(stack, "Candidate", endpoint=endpoint, model=ecr_model(stack, "CandidateModel"))
    resolved = stack.resolve(test.role.statements)
    by_action = {tuple(s["Action"]) if isinstance(s["Action"], list) else (s["Action"],): s for s in resolved}
    assert (
        stack.resolve(endpoint.endpoint_arn)
        == by_action[("sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint")]["Resource"]
    )
    assert len(by_action[("sagemaker:DescribeModel",)]["Resource"]) == 2
    configs = by_action[
        ("sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig")
    ]
    assert "endpoint-config/*" in str(configs["Resource"])
    assert [finding for finding in nag_findings(stack) if "/Candidate/" in finding[1]] == []


def test_a_new_endpoint_name_gives_a_new_test_name(stack):
    first = ShadowTest(stack, "Candidate", endpoint=endpoint_of(stack), model=ecr_model(stack, "CandidateModel"))
    other = Endpoint(stack, "Renamed", endpoint_config=first.endpoint.served_config, endpoint_name="renamed")
    second = ShadowTest(stack, "Candidate2", endpoint=other, model=ecr_model(stack, "CandidateModel2"))
    assert first.experiment_name[-6:] != second.experiment_name[-6:]


def with_two_variants(stack):
    return endpoint_of(
        stack, variant(ecr_model(stack, "A"), variant_name="A"), variant(ecr_model(stack, "B"), variant_name="B")
    )


def asynchronous(stack):
    return endpoint_of(stack, async_inference=AsyncInference(output=S3Location(s3.Bucket(stack, "Out"), "o/")))


def serverless(stack):
    return endpoint_of(stack, ServerlessProductionVariant(model=ecr_model(stack, "S")))


@pytest.mark.parametrize(
    ("build", "kwargs", "fragments"),
    [
        (with_two_variants, {}, ["[ShadowVariants] shadow_production_variants = '1 shadow and 2 production"]),
        (asynchronous, {}, ["[ShadowUnsupported]", "asynchronous endpoints refuse shadow tests"]),
        (serverless, {}, ["[ShadowUnsupported] endpoint = 'an endpoint of ServerlessProductionVariant'"]),
        (lambda stack: component_endpoint(stack), {}, ["'an endpoint of InferenceComponentHostVariant'"]),
        (
            endpoint_of,
            {"instance_type": InstanceType.of("ml.inf1.xlarge")},
            ["[ShadowUnsupported] shadow_production_variants[0].instance_type = 'ml.inf1.xlarge'"],
        ),
        (endpoint_of, {"variant_name": "Live"}, ["[UniqueVariantNames]"]),
        (endpoint_of, {"sampling_percentage": 101}, ["[Api.Percentage] sampling_percentage"]),
        (endpoint_of, {"start": START, "end": START + timedelta(minutes=30)}, ["[ShadowTestSchedule] end"]),
        (endpoint_of, {"start": START, "end": START + timedelta(days=31)}, ["1 hour to 30 days after start"]),
        (endpoint_of, {"start": datetime(2027, 1, 4)}, ["[ShadowTestSchedule] start", "time-zone-aware"]),
        (endpoint_of, {"experiment_name": "no_underscores"}, ["[Api.InferenceExperimentName] experiment_name"]),
    ],
)
def test_shadow_test_rules(stack, build, kwargs, fragments):
    endpoint = build(stack)
    expect_problems(
        lambda: ShadowTest(stack, "Candidate", endpoint=endpoint, model=ecr_model(stack, "CandidateModel"), **kwargs),
        "TestStack/Candidate",
        *fragments,
    )
