"""Multi-container models: Serial pipelines and Direct containers, their limits and how they are called."""

import pytest
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    ContainerImage,
    EndpointConfig,
    InferenceExecutionMode,
    Model,
    ModelContainer,
    ModelData,
    S3Location,
    ServerlessProductionVariant,
    SmokeTestPayload,
)
from tests.support import ROOT, ecr_image, expect_problems, only_resource, synth_errors, variant

SERVER = str(ROOT / "containers" / "sentiment-server")
PAYLOAD = SmokeTestPayload.from_json({"text": "great"})
BIND = "com.amazonaws.sagemaker.capabilities.accept-bind-to-port"


def containers(stack, count, **kwargs):
    return [ModelContainer(image=ecr_image(stack), hostname=f"c{index}", **kwargs) for index in range(count)]


def test_two_asset_images_in_one_model_each_get_their_own_asset(stack):
    model = Model(
        stack,
        "Pipeline",
        containers=[
            ModelContainer(image=ContainerImage.from_asset(SERVER)),
            ModelContainer(image=ContainerImage.from_asset(SERVER, build_args={"VARIANT": "2"})),
        ],
    )
    properties = only_resource(stack, "AWS::SageMaker::Model")["Properties"]
    images = [container["Image"]["Fn::Sub"] for container in properties["Containers"]]
    assert len(set(images)) == 2  # different build args: two images, no construct ID clash
    assert properties["InferenceExecutionConfig"] == {"Mode": "Serial"}  # the default for several
    assert "PrimaryContainer" not in properties
    assert model.container_count == 2 and model.inference_execution_mode == "Serial"


def test_direct_containers_render_their_hostnames(stack):
    Model(stack, "Direct", containers=containers(stack, 3), inference_execution_mode=InferenceExecutionMode.DIRECT)
    properties = only_resource(stack, "AWS::SageMaker::Model")["Properties"]
    assert [container["ContainerHostname"] for container in properties["Containers"]] == ["c0", "c1", "c2"]
    assert properties["InferenceExecutionConfig"] == {"Mode": "Direct"}


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (
            lambda stack: {
                "containers": [ModelContainer(image=ecr_image(stack)), ModelContainer(image=ecr_image(stack))],
                "inference_execution_mode": "Direct",
            },
            ["[DirectHostnames] containers[0].hostname = None", "containers[1].hostname = None"],
        ),
        (
            lambda stack: {"containers": [ModelContainer(image=ecr_image(stack), hostname="a")] * 2},
            ["[DirectHostnames] containers[*].hostname"],
        ),
        (lambda stack: {"containers": containers(stack, 16)}, ["[Api.ContainerDefinitionList] containers"]),
        (lambda stack: {"containers": []}, ["[ModelContainers] containers = []"]),
        (
            lambda stack: {"container": ecr_image(stack), "containers": containers(stack, 2)},
            ["[ModelContainers] containers", "either container"],
        ),
        (
            lambda stack: {"container": ecr_image(stack), "inference_execution_mode": "Direct"},
            ["[ModelContainers] inference_execution_mode = 'Direct'", "only for a model given containers"],
        ),
        (
            lambda stack: {"containers": containers(stack, 2), "inference_execution_mode": "Parallel"},
            ["[Api.InferenceExecutionMode] inference_execution_mode (Mode) = 'Parallel'", "Serial, Direct"],
        ),
        (
            lambda stack: {"containers": [ModelContainer(image=ecr_image(stack), hostname="-bad")]},
            ["[Api.ContainerHostname] containers[0].hostname (ContainerHostname) = '-bad'"],
        ),
        (lambda stack: {"containers": ["not a container"]}, ["[WrongType] containers[0]"]),
    ],
)
def test_container_rules(stack, build, fragments):
    expect_problems(lambda: Model(stack, "Model", **build(stack)), "TestStack/Model", *fragments)


def test_only_one_container_of_a_pipeline_is_multi_model(stack):
    bucket = s3.Bucket(stack, "Models")
    data = ModelData.multi_model(S3Location(bucket, "models/"))
    expect_problems(
        lambda: Model(
            stack,
            "Model",
            containers=[ModelContainer(image=ecr_image(stack), model_data=data) for _ in range(2)],
        ),
        "[SingleMultiModelContainer] containers[*].model_data = 'multi-model data in containers [0, 1]'",
    )


def test_serverless_refuses_a_pipeline_naming_both(stack):
    model = Model(stack, "Pipeline", containers=containers(stack, 2))
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[ServerlessProductionVariant(model=model)]),
        "[ServerlessSingleContainer] production_variants[0].model = 'a model of 2 containers'",
        "serverless refuses serial pipelines",
    )


def direct_endpoint(stack):
    from cdk_sagemaker_inference import Endpoint

    model = Model(stack, "Direct", containers=containers(stack, 2), inference_execution_mode="Direct")
    config = EndpointConfig(stack, "Config", production_variants=[variant(model)])
    return Endpoint(stack, "Endpoint", endpoint_config=config)


def test_a_smoke_test_can_target_a_direct_container(stack):
    endpoint = direct_endpoint(stack)
    assert endpoint.endpoint_config.invocation_features.direct_containers
    endpoint.add_smoke_test(payload=PAYLOAD, target_container_hostname="c1")
    properties = only_resource(stack, "Custom::SageMakerEndpointSmokeTest")["Properties"]
    assert properties["TargetContainerHostname"] == "c1"


def test_a_smoke_test_of_an_unknown_hostname_fails_the_synth(stack):
    direct_endpoint(stack).add_smoke_test(payload=PAYLOAD, target_container_hostname="c7")
    message = synth_errors(stack)
    assert "[KnownTarget] target_container_hostname = 'c7': allowed: one of ['c0', 'c1']" in message


def test_a_serial_pipeline_takes_no_container_target(stack):
    from cdk_sagemaker_inference import Endpoint

    model = Model(stack, "Pipeline", containers=containers(stack, 2))
    config = EndpointConfig(stack, "Config", production_variants=[variant(model)])
    Endpoint(stack, "Endpoint", endpoint_config=config).add_smoke_test(payload=PAYLOAD, target_container_hostname="c1")
    assert "only on a Direct multi-container endpoint" in synth_errors(stack)


def labelled_image(tmp_path, name, labels):
    folder = tmp_path / name
    folder.mkdir()
    lines = "".join(f"LABEL {label}=true\n" for label in labels)
    (folder / "Dockerfile").write_text(f"FROM public.ecr.aws/docker/library/python:3.12-slim\n{lines}")
    return ContainerImage.from_asset(str(folder))


def test_a_local_image_of_a_pipeline_without_the_bind_to_port_label_draws_a_warning(stack, tmp_path):
    from aws_cdk.assertions import Annotations, Match

    Model(
        stack,
        "Pipeline",
        containers=[
            ModelContainer(image=labelled_image(tmp_path, "a", [BIND])),
            ModelContainer(image=labelled_image(tmp_path, "b", [])),
        ],
    )
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("DockerLabels"))
    assert len(warnings) == 1 and "containers[1].image" in str(warnings[0].entry.data)


def test_the_sample_image_carries_both_labels(stack):
    from aws_cdk.assertions import Annotations, Match

    data = ModelData.multi_model(S3Location(s3.Bucket(stack, "Models"), "m/"))
    image = ContainerImage.from_asset(SERVER)
    Model(stack, "Pipeline", containers=[ModelContainer(image=image, model_data=data), ModelContainer(image=image)])
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("DockerLabels"))


def test_a_smoke_test_of_a_direct_endpoint_must_name_its_container(stack):
    direct_endpoint(stack).add_smoke_test(payload=PAYLOAD)
    message = synth_errors(stack)
    assert "[KnownTarget] target_container_hostname = None: allowed: the container to call, one of ['c0', 'c1']" in (
        message
    )
