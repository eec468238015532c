"""Endpoints: deterministic names, aws-cdk-lib's IEndpoint, grants, metrics and importers."""

import re

import pytest
from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from cdk_sagemaker_inference import Endpoint, EndpointConfig, api_model
from tests.support import ecr_model, expect_problems, new_app, only_resource, realtime_endpoint, template, variant

NAME_RULE = api_model.shape("EndpointName")
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"


def endpoint_properties(stack):
    return stack.resolve(only_resource(stack, "AWS::SageMaker::Endpoint")["Properties"])


def test_default_name_is_deterministic_valid_and_in_the_template(stack):
    endpoint = realtime_endpoint(stack)
    assert endpoint.endpoint_name == endpoint_properties(stack)["EndpointName"]
    assert re.fullmatch(NAME_RULE.pattern, endpoint.endpoint_name)
    again = Stack(new_app(), "TestStack")
    assert realtime_endpoint(again).endpoint_name == endpoint.endpoint_name


def test_default_name_stays_valid_for_long_and_odd_paths():
    stack = Stack(new_app(), "A-very-long-stack-name-for-a-team-that-likes-descriptive-names-indeed")
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    endpoint = Endpoint(stack, "Sentiment_Endpoint.v2 (prod)", endpoint_config=config)
    assert len(endpoint.endpoint_name) <= 63
    assert re.fullmatch(NAME_RULE.pattern, endpoint.endpoint_name)


def test_endpoint_serves_the_config(stack):
    endpoint = realtime_endpoint(stack)
    assert endpoint_properties(stack)["EndpointConfigName"] == stack.resolve(
        endpoint.endpoint_config.endpoint_config_name
    )


def test_explicit_name_is_used(stack):
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name="sentiment-prod")
    assert endpoint_properties(stack)["EndpointName"] == "sentiment-prod"


@pytest.mark.parametrize("name", ["has_underscore", "-leading", "x" * 64])
def test_invalid_explicit_name_is_an_error_naming_the_fix(stack, name):
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    expect_problems(
        lambda: Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name=name),
        "TestStack/Endpoint",
        f"[Api.EndpointName] endpoint_name = {name!r}",
        "from 1 to 63 characters",
    )


def test_token_name_is_not_checked(stack):
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name=Token.as_string({"Ref": "Name"}))
    assert endpoint_properties(stack)["EndpointName"] == {"Ref": "Name"}


def test_implements_aws_cdk_lib_iendpoint_for_api_gateway(stack):
    endpoint = realtime_endpoint(stack)
    assert sagemaker.IEndpoint in type(endpoint).__jsii_ifaces__
    api = apigateway.RestApi(stack, "Api")
    api.root.add_method("POST", apigateway.SagemakerIntegration(endpoint))
    found = template(stack)
    found.resource_count_is("AWS::ApiGateway::Method", 1)
    policies = stack.resolve(found.find_resources("AWS::IAM::Policy"))
    [statement] = next(iter(policies.values()))["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sagemaker:InvokeEndpoint"
    assert statement["Resource"] == stack.resolve(endpoint.endpoint_arn)


def test_grant_invoke_allows_invoke_on_this_endpoint_only(stack):
    endpoint = realtime_endpoint(stack)
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    endpoint.grant_invoke(role)
    [policy] = stack.resolve(template(stack).find_resources("AWS::IAM::Policy")).values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "sagemaker:InvokeEndpoint", "Effect": "Allow", "Resource": {"Ref": "EndpointEEF1FD8F"}}
    ]


@pytest.mark.parametrize(
    ("method", "name", "statistic", "unit", "namespace"),
    [
        ("metric_invocations", "Invocations", "Sum", None, "AWS/SageMaker"),
        ("metric_invocations_per_instance", "InvocationsPerInstance", "Sum", None, "AWS/SageMaker"),
        ("metric_model_latency", "ModelLatency", "Average", cloudwatch.Unit.MICROSECONDS, "AWS/SageMaker"),
        ("metric_overhead_latency", "OverheadLatency", "Average", cloudwatch.Unit.MICROSECONDS, "AWS/SageMaker"),
        ("metric_invocation_4xx_errors", "Invocation4XXErrors", "Sum", None, "AWS/SageMaker"),
        ("metric_invocation_5xx_errors", "Invocation5XXErrors", "Sum", None, "AWS/SageMaker"),
        ("metric_cpu_utilization", "CPUUtilization", "Average", cloudwatch.Unit.PERCENT, INSTANCE_NAMESPACE),
        ("metric_memory_utilization", "MemoryUtilization", "Average", cloudwatch.Unit.PERCENT, INSTANCE_NAMESPACE),
        ("metric_disk_utilization", "DiskUtilization", "Average", cloudwatch.Unit.PERCENT, INSTANCE_NAMESPACE),
    ],
)
def test_variant_metrics_have_the_right_namespace_statistic_and_unit(stack, method, name, statistic, unit, namespace):
    endpoint = realtime_endpoint(stack, variant_name="Blue")
    metric = getattr(endpoint, method)("Blue")
    assert (metric.metric_name, metric.statistic, metric.unit, metric.namespace) == (name, statistic, unit, namespace)
    assert metric.dimensions == {"EndpointName": endpoint.endpoint_name, "VariantName": "Blue"}
    assert metric.period.to_seconds() == 60


def test_metric_options(stack):
    endpoint = realtime_endpoint(stack)
    metric = endpoint.metric_model_latency("AllTraffic", statistic="p99", period=Duration.minutes(5))
    assert (metric.statistic, metric.period.to_seconds()) == ("p99", 300)
    alarm = metric.create_alarm(stack, "Slow", threshold=100_000, evaluation_periods=2)
    assert alarm.alarm_arn


def test_from_endpoint_name_builds_a_lower_case_arn_and_keeps_grants_and_metrics(stack):
    imported = Endpoint.from_endpoint_name(stack, "Imported", "Sentiment-Prod")
    assert imported.endpoint_name == "Sentiment-Prod"
    assert stack.resolve(imported.endpoint_arn)["Fn::Join"][1][-1] == ":endpoint/sentiment-prod"
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    imported.grant_invoke(role)
    assert imported.metric_invocations("AllTraffic").dimensions["EndpointName"] == "Sentiment-Prod"


def test_from_endpoint_arn_reads_the_name():
    stack = Stack(new_app(), "S")
    imported = Endpoint.from_endpoint_arn(stack, "Imported", "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/prod")
    assert imported.endpoint_name == "prod"
    assert imported.endpoint_ref.endpoint_arn == "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/prod"


def test_from_endpoint_attributes_needs_name_or_arn(stack):
    both = Endpoint.from_endpoint_attributes(
        stack, "Both", endpoint_name="Prod", endpoint_arn="arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod"
    )
    assert (both.endpoint_name, both.endpoint_arn) == ("Prod", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod")
    expect_problems(
        lambda: Endpoint.from_endpoint_attributes(stack, "Neither"),
        "TestStack/Neither",
        "[Import] name = None: allowed: a name, an ARN, or both",
    )
