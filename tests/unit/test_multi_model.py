"""Multi-model endpoints: a prefix of models, local models copied under it at deploy time, and their targets."""

import json
import shutil

import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import (
    ContainerImage,
    Endpoint,
    EndpointConfig,
    InstanceType,
    Model,
    ModelContainer,
    ModelData,
    S3Location,
    ServerlessProductionVariant,
    SmokeTestPayload,
)
from tests.support import (
    ROOT,
    ecr_image,
    expect_problems,
    nag_findings,
    new_stack,
    only_resource,
    synth_errors,
    template,
    variant,
)

MODEL_DIR = ROOT / "containers" / "sentiment-model"
PAYLOAD = SmokeTestPayload.from_json({"text": "great"})


def multi_model(stack, models=None, prefix="models/", **kwargs):
    bucket = s3.Bucket(stack, "Models")
    data = ModelData.multi_model(S3Location(bucket, prefix), models=models, **kwargs)
    return Model(stack, "Model", container=ecr_image(stack), model_data=data), data


def test_a_multi_model_container_serves_every_model_under_its_prefix(stack):
    model, _ = multi_model(stack)
    container = only_resource(stack, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    assert container["Mode"] == "MultiModel"
    assert json.dumps(container["ModelDataUrl"]).endswith('"/models/"]]}')
    assert "MultiModelConfig" not in container  # caching on: SageMaker's default
    statements = json.dumps(model.execution_role.statements)
    assert '/models/*"' in statements  # the role reads the prefix, nothing else of the bucket
    assert not template(stack).find_resources("Custom::CDKBucketDeployment")  # nothing to upload
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("ModelArchiveName"))


def test_the_cache_can_be_turned_off(stack):
    multi_model(stack, model_cache=False)
    container = only_resource(stack, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
    assert container["MultiModelConfig"] == {"ModelCacheSetting": "Disabled"}


def test_local_models_are_copied_under_the_prefix_before_the_model_is_created(stack):
    _, data = multi_model(stack, models={"sentiment": str(MODEL_DIR)})
    key = data.target_model("sentiment")
    assert key.startswith("sentiment-") and key.endswith(".tar.gz") and len(key) == len("sentiment-") + 12 + 7
    deployment = only_resource(stack, "Custom::CDKBucketDeployment")
    assert deployment["Properties"]["DestinationBucketKeyPrefix"] == "models/"
    assert deployment["Properties"]["Prune"] is False  # other models, and versions a live endpoint may load
    assert deployment["Properties"]["RetainOnDelete"] is True
    resource = only_resource(stack, "AWS::SageMaker::Model")
    assert any(name.startswith("ModelModelDeploymentCustomResource") for name in resource["DependsOn"])
    assert data.uploaded == frozenset({key})


def test_a_changed_model_gets_a_new_key_so_no_live_model_is_overwritten(tmp_path):
    shutil.copytree(MODEL_DIR, tmp_path / "model")
    first = multi_model(new_stack(), models={"m": str(tmp_path / "model")})[1].target_model("m")
    (tmp_path / "model" / "model.json").write_text('{"name": "changed"}')
    second = multi_model(new_stack(), models={"m": str(tmp_path / "model")})[1].target_model("m")
    assert first != second and first.startswith("m-") and second.startswith("m-")


def test_an_archive_file_is_uploaded_as_it_is(stack, tmp_path):
    from cdk_sagemaker_inference.model_archive import pack_directory

    archive, _ = pack_directory(MODEL_DIR, tmp_path)
    _, data = multi_model(stack, models={"packed": str(archive)})
    assert data.target_model("packed").startswith("packed-")


def test_an_unknown_model_name_is_a_validation_error_naming_the_known_ones(stack):
    _, data = multi_model(stack, models={"sentiment": str(MODEL_DIR)})
    expect_problems(
        lambda: data.target_model("other"), "[KnownTarget] name = 'other': allowed: one of the models given"
    )
    expect_problems(lambda: data.target_model(None), "[KnownTarget] name = None")


def test_cdk_nag_finds_nothing_unacknowledged_on_the_deployment(stack):
    multi_model(stack, models={"sentiment": str(MODEL_DIR)})
    findings = nag_findings(stack)
    assert [finding for finding in findings if "BucketDeployment" in finding[1]] == []
    assert findings  # the packs ran: the bare test bucket draws findings of its own


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        ({"prefix": "models"}, ["[MultiModelPrefix] model_data.location.prefix = 'models'", "prefix='models/'"]),
        ({"prefix": "m*/"}, ["[NoWildcardKey] model_data.location.prefix = 'm*/'"]),
        ({"models": {"bad name": str(MODEL_DIR)}}, ["[MultiModelPrefix] model_data.models['bad name']"]),
        ({"models": {"m": "/no/such/dir"}}, ["[LocalArchive] model_data.models['m'] = '/no/such/dir'"]),
    ],
)
def test_multi_model_data_rules(stack, options, fragments):
    expect_problems(lambda: multi_model(stack, **options), "TestStack/Model", *fragments)


def test_a_non_gzip_file_is_refused(stack, tmp_path):
    (tmp_path / "m.tar.gz").write_text("not gzip")
    expect_problems(lambda: multi_model(stack, models={"m": str(tmp_path / "m.tar.gz")}), "[LocalArchive]")


@pytest.mark.parametrize(
    ("instance_type", "rule"),
    [
        ("ml.g5.12xlarge", "MultiModelGpu"),
        ("ml.p3.8xlarge", "MultiModelGpu"),
        ("ml.p4d.24xlarge", "MultiModelGpu"),  # several GPUs: the guide allows single-GPU types only
        ("ml.inf1.xlarge", "MultiModelInstance"),
        ("ml.inf2.xlarge", "MultiModelInstance"),
        ("ml.trn1.2xlarge", "MultiModelInstance"),  # neither CPU nor GPU: the guide lists none
    ],
)
def test_a_multi_model_endpoint_takes_cpu_or_single_gpu_types(stack, instance_type, rule):
    model, _ = multi_model(stack)
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(model, instance_type=InstanceType.of(instance_type))]
        ),
        f"[{rule}] production_variants[0].instance_type = '{instance_type}'",
    )


@pytest.mark.parametrize(
    ("instance_type", "warned"), [("ml.g5.xlarge", False), ("ml.m5.large", False), ("ml.g6.xlarge", True)]
)
def test_gpu_types_outside_the_guides_list_draw_a_warning(stack, instance_type, warned):
    model, _ = multi_model(stack)
    EndpointConfig(stack, "Config", production_variants=[variant(model, instance_type=InstanceType.of(instance_type))])
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("MultiModelGpuList"))
    assert bool(warnings) == warned


def test_serverless_refuses_a_multi_model_model_naming_both(stack):
    model, _ = multi_model(stack)
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[ServerlessProductionVariant(model=model)]),
        "[ServerlessNoMultiModel] production_variants[0].model = 'a multi-model model'",
        "serverless refuses multi-model endpoints",
    )


def test_uncompressed_data_beside_a_multi_model_container_is_refused(stack):
    bucket = s3.Bucket(stack, "Models")
    model = Model(
        stack,
        "Pipeline",
        containers=[
            ModelContainer(image=ecr_image(stack), model_data=ModelData.from_uncompressed(bucket, "raw/")),
            ModelContainer(image=ecr_image(stack), model_data=ModelData.multi_model(S3Location(bucket, "models/"))),
        ],
    )
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[variant(model)]),
        "[UncompressedData] production_variants[0].model",
        "not on a multi-model endpoint",
    )


def mme_endpoint(stack, models=None):
    model, data = multi_model(stack, models=models)
    config = EndpointConfig(stack, "Config", production_variants=[variant(model)])
    return Endpoint(stack, "Endpoint", endpoint_config=config), data


def test_a_smoke_test_targets_an_uploaded_model(stack):
    endpoint, data = mme_endpoint(stack, {"sentiment": str(MODEL_DIR)})
    assert endpoint.endpoint_config.invocation_features.multi_model
    endpoint.add_smoke_test(payload=PAYLOAD, target_model=data.target_model("sentiment"))
    properties = only_resource(stack, "Custom::SageMakerEndpointSmokeTest")["Properties"]
    assert properties["TargetModel"] == data.target_model("sentiment")


def test_a_smoke_test_of_a_model_the_app_does_not_upload_fails_the_synth(stack):
    endpoint, data = mme_endpoint(stack, {"sentiment": str(MODEL_DIR)})
    endpoint.add_smoke_test(payload=PAYLOAD, target_model="sentiment.tar.gz")
    message = synth_errors(stack)
    assert "[KnownTarget] target_model = 'sentiment.tar.gz'" in message
    assert data.target_model("sentiment") in message and "data.target_model(name)" in message


def test_without_uploads_any_target_model_is_accepted(stack):
    endpoint, _ = mme_endpoint(stack)
    endpoint.add_smoke_test(payload=PAYLOAD, target_model="filled-elsewhere.tar.gz")
    assert only_resource(stack, "Custom::SageMakerEndpointSmokeTest")["Properties"]["TargetModel"]


def test_a_local_multi_model_image_without_the_label_draws_a_warning(stack, tmp_path):
    from cdk_sagemaker_inference import ContainerImage

    (tmp_path / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.12-slim\n")
    data = ModelData.multi_model(S3Location(s3.Bucket(stack, "Models"), "m/"))
    Model(stack, "Model", container=ContainerImage.from_asset(str(tmp_path)), model_data=data)
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("DockerLabels"))
    assert len(warnings) == 1 and "multi-models=true" in str(warnings[0])


TRITON = "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3"
PYTORCH = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-gpu-py311"


def uri_multi_model(stack, image_uri):
    data = ModelData.multi_model(S3Location(s3.Bucket(stack, "Models"), "models/"))
    return Model(stack, "Model", container=ContainerImage.from_image_uri(image_uri), model_data=data)


def test_a_gpu_multi_model_endpoint_refuses_an_image_known_not_to_be_triton(stack):
    model = uri_multi_model(stack, PYTORCH)
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(model, instance_type=InstanceType.ML_G5_XLARGE)]
        ),
        f"[MultiModelGpu] production_variants[0].model = ['{PYTORCH}']: allowed: a Triton Inference Server image",
    )


def test_a_gpu_multi_model_endpoint_takes_triton_and_a_cpu_one_anything(stack):
    triton = uri_multi_model(stack, TRITON)
    EndpointConfig(stack, "Config", production_variants=[variant(triton, instance_type=InstanceType.ML_G5_XLARGE)])
    other = new_stack()
    pytorch = uri_multi_model(other, PYTORCH)
    EndpointConfig(other, "Config", production_variants=[variant(pytorch, instance_type=InstanceType.ML_M5_LARGE)])
