"""Container images: pinned ECR images, local Dockerfiles, image URIs; each grants exactly its pull."""

import json

import pytest
from aws_cdk import DefaultStackSynthesizer, Stack, Token
from aws_cdk import aws_ecr as ecr

from cdk_sagemaker_inference import ContainerImage, Model
from tests.support import ROOT, expect_problems, new_app, only_resource

SAMPLE_SERVER = ROOT / "containers" / "sentiment-server"
DLC_URI = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311-ubuntu20.04-sagemaker"


def model_with(stack, image):
    return Model(stack, "Model", container=image)


def image_of(stack):
    return stack.resolve(only_resource(stack, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]["Image"])


def pull_resources(stack):
    document = only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]
    return [s["Resource"] for s in stack.resolve(document["Statement"]) if "ecr:BatchGetImage" in s["Action"]]


def test_ecr_repository_by_tag(stack):
    repository = ecr.Repository(stack, "Repo")
    model_with(stack, ContainerImage.from_ecr_repository(repository, tag="2024-06-01"))
    assert json.dumps(image_of(stack)).endswith(':2024-06-01"]]}')
    assert pull_resources(stack) == [{"Fn::GetAtt": ["Repo02AC86CF", "Arn"]}]


def test_ecr_repository_by_digest(stack):
    digest = "sha256:" + "a" * 64
    model_with(stack, ContainerImage.from_ecr_repository(ecr.Repository(stack, "Repo"), digest=digest))
    assert json.dumps(image_of(stack)).endswith(f'@{digest}"]]}}')


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of tag or digest"),
        ({"tag": "1", "digest": "sha256:" + "a" * 64}, "exactly one of tag or digest"),
        ({"tag": "bad tag"}, "container.tag = 'bad tag'"),
        ({"digest": "sha256:xyz"}, "container.digest = 'sha256:xyz'"),
    ],
)
def test_ecr_image_must_be_pinned_explicitly(stack, kwargs, message):
    repository = ecr.Repository(stack, "Repo")
    expect_problems(
        lambda: model_with(stack, ContainerImage.from_ecr_repository(repository, **kwargs)), "TestStack/Model", message
    )


def test_ecr_tag_token_is_not_checked(stack):
    tag = Token.as_string({"Ref": "ImageTag"})
    model_with(stack, ContainerImage.from_ecr_repository(ecr.Repository(stack, "Repo"), tag=tag))
    assert "ImageTag" in json.dumps(image_of(stack))


def test_local_dockerfile_becomes_an_image_asset_the_role_can_pull(stack):
    model_with(stack, ContainerImage.from_asset(str(SAMPLE_SERVER)))
    assert "container-assets" in json.dumps(image_of(stack))
    assert "container-assets" in json.dumps(pull_resources(stack))
    assets = [child for child in stack.node.find_all() if child.node.id == "ImageAsset"]
    assert len(assets) == 1


def test_an_asset_image_in_a_dedicated_repository_is_the_only_one_the_role_may_pull():
    # The bootstrap's container-assets repository holds every image asset of the account and Region; a stack
    # synthesizer naming a dedicated repository sends the image there, and the grant follows it.
    stack = Stack(
        new_app(), "Dedicated", synthesizer=DefaultStackSynthesizer(image_assets_repository_name="sentiment-images")
    )
    model_with(stack, ContainerImage.from_asset(str(SAMPLE_SERVER)))
    [resource] = pull_resources(stack)
    assert json.dumps(resource).endswith(':repository/sentiment-images"]]}')
    assert "container-assets" not in json.dumps(image_of(stack))


def test_local_dockerfile_must_exist(stack, tmp_path):
    expect_problems(
        lambda: model_with(stack, ContainerImage.from_asset(str(tmp_path))), "container = ", "an existing Dockerfile"
    )


def test_sagemaker_owned_image_uri_grants_pull_on_its_repository(stack):
    model_with(stack, ContainerImage.from_image_uri(DLC_URI))
    assert image_of(stack) == DLC_URI
    assert pull_resources(stack) == ["arn:aws:ecr:us-east-1:763104351884:repository/pytorch-inference"]


@pytest.mark.parametrize(
    "uri",
    ["docker.io/library/python:3.12", "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo", "x" * 300],
)
def test_image_uri_must_be_a_pinned_ecr_uri(stack, uri):
    expect_problems(lambda: model_with(stack, ContainerImage.from_image_uri(uri)), "container = ", "Amazon ECR image")


def test_image_uri_token_is_not_checked_and_grants_nothing(stack):
    model_with(stack, ContainerImage.from_image_uri(Token.as_string({"Ref": "ImageUri"})))
    assert image_of(stack) == {"Ref": "ImageUri"}
    assert pull_resources(stack) == []


def pinned_stack(region):
    return Stack(new_app(), "Pinned", env={"account": "123456789012", "region": region})


def test_an_image_in_another_region_than_the_pinned_model_is_refused():
    uri = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311"
    stack = pinned_stack("us-east-1")
    expect_problems(
        lambda: model_with(stack, ContainerImage.from_image_uri(uri)),
        "[ImageRegion] container = 'an image in eu-west-1': allowed: an image in the model's Region (us-east-1)",
    )
    repository = ecr.Repository.from_repository_arn(
        stack, "Far", "arn:aws:ecr:eu-west-1:123456789012:repository/sentiment"
    )
    expect_problems(
        lambda: Model(stack, "Other", container=ContainerImage.from_ecr_repository(repository, tag="1")),
        "[ImageRegion]",
    )


def test_an_image_in_the_models_region_or_an_unpinned_stack_is_accepted(stack):
    uri = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.3.0-cpu-py311"
    model_with(pinned_stack("eu-west-1"), ContainerImage.from_image_uri(uri))
    model_with(stack, ContainerImage.from_image_uri(uri))  # an environment-agnostic stack: its Region is unknown


REGISTRY_IMAGE = "registry.example.com/team/sentiment:1.4"


def test_a_private_registry_image_is_pulled_through_the_vpc_with_its_credentials_function(stack):
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_lambda as lambda_

    from tests.support import cfn_lint, template

    credentials = lambda_.Function.from_function_arn(
        stack, "Credentials", "arn:aws:lambda:us-east-1:123456789012:function:registry-credentials"
    )
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    Model(
        stack,
        "Model",
        container=ContainerImage.from_private_registry(REGISTRY_IMAGE, credentials_provider=credentials),
        vpc=vpc,
    )
    container = only_resource(stack, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    assert container["Image"] == REGISTRY_IMAGE
    assert container["ImageConfig"] == {
        "RepositoryAccessMode": "Vpc",
        "RepositoryAuthConfig": {
            "RepositoryCredentialsProviderArn": "arn:aws:lambda:us-east-1:123456789012:function:registry-credentials"
        },
    }
    statements = only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    [invoke] = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert invoke["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:registry-credentials"
    assert not any("ecr:BatchGetImage" in json.dumps(s["Action"]) for s in statements)
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []


def test_a_private_registry_needs_a_vpc_and_an_image_outside_ecr(stack):
    expect_problems(
        lambda: Model(stack, "NoVpc", container=ContainerImage.from_private_registry(REGISTRY_IMAGE)),
        f"[PrivateRegistry] container = '{REGISTRY_IMAGE}'",
        "give the model vpc=...",
    )
    ecr_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"
    expect_problems(
        lambda: Model(stack, "Ecr", container=ContainerImage.from_private_registry(ecr_uri)),
        "use ContainerImage.from_image_uri(...) for an ECR image",
    )


def test_serverless_refuses_a_private_registry_image(stack):
    from aws_cdk import aws_ec2 as ec2

    from cdk_sagemaker_inference import EndpointConfig, ServerlessProductionVariant

    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    model = Model(stack, "Model", container=ContainerImage.from_private_registry(REGISTRY_IMAGE), vpc=vpc)
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[ServerlessProductionVariant(model=model, memory_size_in_mb=2048, max_concurrency=1)],
        ),
        "[ServerlessNoPrivateRegistry] production_variants[0].model.container",
    )
