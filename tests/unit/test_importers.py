"""IModel and IEndpointConfig: imported models and configs serve endpoints; nothing unknown is checked."""

import pytest

from cdk_sagemaker_inference import Endpoint, EndpointConfig, Model, ServerlessProductionVariant
from tests.support import expect_problems, only_resource, variant

MODEL_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model/sentiment-v1"
CONFIG_ARN = "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/sentiment-v1"


@pytest.mark.parametrize("how", ["name", "arn"])
def test_an_imported_model_serves_a_variant_and_keeps_its_own_role(stack, how):
    model = (
        Model.from_model_name(stack, "Imported", "sentiment-v1")
        if how == "name"
        else Model.from_model_arn(stack, "Imported", MODEL_ARN)
    )
    assert model.model_name == "sentiment-v1" and model.execution_role is None
    config = EndpointConfig(stack, "Config", production_variants=[variant(model)])
    Endpoint(stack, "Endpoint", endpoint_config=config)
    rendered = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"][0]
    assert rendered["ModelName"] == "sentiment-v1"


def test_an_imported_models_unknown_network_is_not_held_against_serverless(stack):
    model = Model.from_model_name(stack, "Imported", "sentiment-v1")
    EndpointConfig(stack, "Config", production_variants=[ServerlessProductionVariant(model=model)])


@pytest.mark.parametrize("how", ["name", "arn"])
def test_an_imported_config_serves_an_endpoint_without_checks_of_its_variants(stack, how):
    config = (
        EndpointConfig.from_endpoint_config_name(stack, "Imported", "sentiment-v1")
        if how == "name"
        else EndpointConfig.from_endpoint_config_arn(stack, "Imported", CONFIG_ARN)
    )
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    assert endpoint.endpoint_config is None and endpoint.served_config is config
    assert only_resource(stack, "AWS::SageMaker::Endpoint")["Properties"]["EndpointConfigName"] == "sentiment-v1"
    assert endpoint.metric_invocations("AnyVariant").metric_name == "Invocations"  # unknown variants: unchecked


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda stack: Model.from_model_name(stack, "Bad", "bad_name"), "[Api.ModelName]"),
        (lambda stack: Model.from_model_arn(stack, "Bad", "arn:aws:s3:::bucket"), "[Api.ModelArn]"),
        (lambda stack: EndpointConfig.from_endpoint_config_name(stack, "Bad", "-x"), "[Api.EndpointConfigName]"),
        (lambda stack: EndpointConfig.from_endpoint_config_arn(stack, "Bad", "nope"), "[Api.EndpointConfigArn]"),
    ],
)
def test_malformed_names_and_arns_are_errors(stack, call, fragment):
    expect_problems(lambda: call(stack), "TestStack/Bad", fragment)
