"""Serverless variants: memory, concurrency, what serverless refuses, and the endpoint's name per kind."""

import pytest
from aws_cdk import CfnParameter, Names, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms

from cdk_sagemaker_inference import ContainerImage, Endpoint, EndpointConfig, Model, ServerlessProductionVariant
from tests.support import cfn_lint, ecr_model, expect_problems, new_app, only_resource, template, variant


def serverless_config(stack, model=None, **kwargs):
    model = model or ecr_model(stack)
    return EndpointConfig(stack, "Config", production_variants=[ServerlessProductionVariant(model=model, **kwargs)])


def rendered_variant(stack):
    return only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"][0]


def test_a_serverless_variant_renders_its_config_and_no_instance_settings(stack):
    serverless_config(stack, provisioned_concurrency=5)
    rendered = rendered_variant(stack)
    assert rendered["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": 5}
    assert "InstanceType" not in rendered and "InitialInstanceCount" not in rendered
    assert rendered["VariantName"] == "AllTraffic"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"memory_size_in_mb": 1500}, "[ServerlessMemoryStep] production_variants[0].memory_size_in_mb = 1500"),
        ({"memory_size_in_mb": 512}, "[Api.ServerlessMemorySizeInMB]"),
        ({"memory_size_in_mb": 7168}, "[Api.ServerlessMemorySizeInMB]"),
        ({"max_concurrency": 0}, "[Api.ServerlessMaxConcurrency]"),
        ({"max_concurrency": 201}, "[Api.ServerlessMaxConcurrency]"),
        ({"provisioned_concurrency": 0}, "[Api.ServerlessProvisionedConcurrency]"),
        ({"max_concurrency": 10, "provisioned_concurrency": 11}, "[ProvisionedConcurrency]"),
        ({"memory_size_in_mb": "2048"}, "[WrongType]"),
    ],
)
def test_serverless_limits_are_checked(stack, kwargs, fragment):
    expect_problems(lambda: serverless_config(stack, **kwargs), "TestStack/Config", fragment)


@pytest.mark.parametrize("memory", [1024, 3072, 6144])
def test_every_whole_gigabyte_is_accepted(stack, memory):
    serverless_config(stack, memory_size_in_mb=memory, max_concurrency=200, provisioned_concurrency=200)


def test_tokens_are_not_checked_and_render_as_given(stack):
    number = CfnParameter(stack, "Memory", type="Number").value_as_number
    serverless_config(stack, memory_size_in_mb=number, provisioned_concurrency=number)
    config = rendered_variant(stack)["ServerlessConfig"]
    assert config["MemorySizeInMB"] == {"Ref": "Memory"} == config["ProvisionedConcurrency"]
    assert Token.is_unresolved(number)


def test_a_serverless_variant_refuses_a_second_variant_naming_both_features(stack):
    model = ecr_model(stack)
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[
                ServerlessProductionVariant(model=model, variant_name="A"),
                variant(model, variant_name="B"),
            ],
        ),
        "[ServerlessSingleVariant] production_variants[0] = '2 variants'",
        "serverless refuses multiple production variants",
    )


def test_adding_a_variant_to_a_serverless_config_later_is_refused_too(stack):
    config = serverless_config(stack)
    expect_problems(
        lambda: config.add_production_variant(variant(ecr_model(stack, "B"), variant_name="B")), "[Serverless"
    )
    assert len(config.production_variants) == 1


def test_a_serverless_model_in_a_vpc_or_isolated_is_refused(stack):
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    in_vpc = ecr_model(stack, "InVpc", vpc=vpc)
    expect_problems(
        lambda: serverless_config(stack, model=in_vpc),
        "[ServerlessNoVpc] production_variants[0].model.vpc = 'a VPC'",
        "serverless refuses a model in a VPC",
    )
    isolated = ecr_model(stack, "Isolated", network_isolation=True)
    expect_problems(
        lambda: EndpointConfig(stack, "Other", production_variants=[ServerlessProductionVariant(model=isolated)]),
        "[ServerlessNoNetworkIsolation] production_variants[0].model.network_isolation = True",
    )


def test_a_kms_key_encrypts_the_image_copy_of_a_serverless_endpoint(stack):
    key = kms.Key(stack, "Key")
    EndpointConfig(
        stack, "Config", production_variants=[ServerlessProductionVariant(model=ecr_model(stack))], kms_key=key
    )
    assert "KmsKeyId" in only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]


def test_the_default_endpoint_name_carries_the_kind_so_a_kind_change_replaces_the_endpoint(stack):
    serverless = Endpoint(stack, "Endpoint", endpoint_config=serverless_config(stack))
    assert serverless.endpoint_name.endswith("-serverless") and len(serverless.endpoint_name) <= 63
    instance_config = EndpointConfig(stack, "Instances", production_variants=[variant(ecr_model(stack, "M2"))])
    instances = Endpoint(stack, "Other", endpoint_config=instance_config)
    unique = Names.unique_resource_name(instances, max_length=63, separator="-", allowed_special_characters="-")
    assert instances.endpoint_name == unique  # instance names are what they were before kinds existed


def test_a_serverless_template_is_cfn_lint_clean(stack):
    Endpoint(stack, "Endpoint", endpoint_config=serverless_config(stack, provisioned_concurrency=2))
    assert cfn_lint(template(stack).to_json(), regions=["us-east-1"]) == []


def pinned_stack(account="111111111111"):
    return Stack(new_app(), "Pinned", env={"account": account, "region": "us-east-1"})


def repository_model(stack, repository_arn):
    repository = ecr.Repository.from_repository_arn(stack, "Repository", repository_arn)
    return Model(stack, "Model", container=ContainerImage.from_ecr_repository(repository, tag="1.0"))


def test_a_serverless_model_refuses_its_own_image_in_another_account():
    stack = pinned_stack()
    model = repository_model(stack, "arn:aws:ecr:us-east-1:222222222222:repository/sentiment")
    expect_problems(
        lambda: serverless_config(stack, model),
        "[ServerlessImageAccount] production_variants[0].model = 'an image repository in account 222222222222'",
    )


def test_a_serverless_model_takes_its_own_accounts_image_and_a_provided_one():
    stack = pinned_stack()
    serverless_config(stack, repository_model(stack, "arn:aws:ecr:us-east-1:111111111111:repository/sentiment"))
    other = pinned_stack()
    provided = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311"
    serverless_config(other, Model(other, "Model", container=ContainerImage.from_image_uri(provided)))
