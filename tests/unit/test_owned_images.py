"""SageMaker-owned images: the generated table equals its pinned source, and models use it per Region."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    ContainerImage,
    EndpointConfig,
    InstanceType,
    Model,
    ModelData,
    S3Location,
    ServerlessProductionVariant,
)
from cdk_sagemaker_inference.owned_images import table
from tests.support import ROOT, cfn_lint, expect_problems, new_app, template, variant

REQUIREMENT = re.compile(r"^(?P<name>[\w-]+)==(?P<version>\S+) --hash=sha256:(?P<sha>[0-9a-f]{64})$", re.M)
CONFIG_FOLDER = "sagemaker/core/image_uri_config/"


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    """The pinned wheel `make setup` downloaded (checked against its hash) and its configuration files."""
    pinned = REQUIREMENT.search((ROOT / "requirements-images.txt").read_text())
    assert pinned is not None
    [wheel] = (ROOT / ".venv" / "image-source").glob(f"{pinned['name'].replace('-', '_')}-{pinned['version']}-*.whl")
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == pinned["sha"]
    with zipfile.ZipFile(wheel) as archive:
        files = {
            Path(name).stem: archive.read(name)
            for name in archive.namelist()
            if name.startswith(CONFIG_FOLDER) and name.endswith(".json")
        }
    return {"version": pinned["version"], "files": files}


def inference_config(raw: bytes) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(raw)
    return config if "versions" in config else config["inference"]


def sdk_tag(config: dict[str, Any], version: str, processor: str | None, py_version: str | None) -> str:
    """The tag by the SDK's general rule (image_uris._format_tag): prefix, processor, Python and container
    versions joined by hyphens; Triton's GPU images carry no processor."""
    entry = config["versions"][version]
    shown_processor = processor if entry.get("processor_in_tag", True) else None
    parts = [
        entry.get("tag_prefix", version),
        shown_processor,
        py_version,
        entry.get("container_version", {}).get(processor),
    ]
    tag = "-".join(part for part in parts if part)
    return tag.removesuffix("-gpu") if entry["repository"] == "sagemaker-tritonserver" else tag


def test_the_table_was_generated_from_the_pinned_sdk_files(source):
    recorded = table()["source"]
    assert recorded["version"] == source["version"]
    for framework, digest in recorded["files"].items():
        assert hashlib.sha256(source["files"][framework]).hexdigest() == digest, framework


def test_every_version_region_account_repository_and_tag_equals_the_source(source):
    registries = table()["registries"]
    for framework, entry in table()["images"].items():
        config = inference_config(source["files"][framework])
        assert entry["aliases"] == config.get("version_aliases", {}), framework
        assert sorted(entry["versions"]) == sorted(config["versions"]), framework
        for version, variants in entry["versions"].items():
            expected = config["versions"][version]
            for found in variants:
                assert found["repository"] == expected["repository"]
                assert registries[found["registries"]] == expected["registries"], (framework, version)
                assert found["tag"] == sdk_tag(config, version, found["processor"], found["py_version"])


def test_the_monitoring_images_equal_the_source(source):
    for framework, entry in table()["monitoring"].items():
        [(version, expected)] = json.loads(source["files"][framework])["versions"].items()
        assert (version, entry["tag"]) == ("", None)  # one image, no tag in the SDK's URI (ECR serves latest)
        assert entry["repository"] == expected["repository"]
        assert table()["registries"][entry["registries"]] == expected["registries"]
    assert set(table()["monitoring"]) == {"model-monitor"}


def test_gpu_counts_equal_the_sdk_instance_gpu_info_in_every_region(source):
    by_region = json.loads(source["files"]["instance_gpu_info"])
    listed = {(instance_type, info["Count"]) for types in by_region.values() for instance_type, info in types.items()}
    assert set(table()["instance_gpus"].items()) == listed
    assert InstanceType.of("ml.g5.12xlarge").gpu_count == 4
    assert InstanceType.of("ml.g6.xlarge").gpu_count is None  # not in the SDK's table: unknown, never guessed


def test_a_pinned_stack_gets_a_literal_uri_and_a_pull_grant_on_the_owning_account():
    stack = Stack(new_app(), "Pinned", env=Environment(account="111111111111", region="eu-west-1"))
    Model(stack, "Tgi", container=ContainerImage.from_sagemaker_owned("huggingface-llm", "3.3"))
    [model] = template(stack).find_resources("AWS::SageMaker::Model").values()
    assert model["Properties"]["PrimaryContainer"]["Image"] == (
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-tgi-inference:"
        "2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04"
    )
    assert "Mappings" not in template(stack).to_json()
    policy = json.dumps(template(stack).find_resources("AWS::IAM::ManagedPolicy"))
    assert ":ecr:eu-west-1:763104351884:repository/huggingface-pytorch-tgi-inference" in policy


def test_an_environment_agnostic_stack_maps_each_region_to_its_account():
    stack = Stack(new_app(), "Anywhere")
    Model(stack, "Xgb", container=ContainerImage.from_sagemaker_owned("xgboost", "1.7-1"))
    Model(stack, "Xgb2", container=ContainerImage.from_sagemaker_owned("xgboost", "1.7-1"))
    rendered = template(stack).to_json()
    [(mapping_id, mapping)] = rendered["Mappings"].items()  # one mapping for both models
    assert mapping["eu-west-1"] == {"account": "141502667606"}
    assert mapping["us-east-1"] == {"account": "683313688378"}
    images = [
        r["Properties"]["PrimaryContainer"]["Image"]
        for r in template(stack).find_resources("AWS::SageMaker::Model").values()
    ]
    assert images[0]["Fn::Join"][1][0] == {"Fn::FindInMap": [mapping_id, {"Ref": "AWS::Region"}, "account"]}
    assert images[0]["Fn::Join"][1][-1] == "/sagemaker-xgboost:1.7-1"
    assert cfn_lint(rendered, ["us-east-1", "eu-west-1"]) == []


def test_a_region_without_the_image_is_refused_at_synth():
    stack = Stack(new_app(), "Far", env=Environment(account="111111111111", region="ap-southeast-7"))
    expect_problems(
        lambda: Model(stack, "Tei", container=ContainerImage.from_sagemaker_owned("huggingface-tei", "1.8")),
        "[OwnedImageRegion] container = 'SageMaker-owned huggingface-tei/1.8'",
        "the stack's Region (ap-southeast-7)",
    )


def test_unknown_choices_name_the_closest_ones():
    stack = Stack(new_app(), "Choices")
    expect_problems(
        lambda: Model(stack, "A", container=ContainerImage.from_sagemaker_owned("pytorch", "2.6")),
        "[OwnedImage] container.processor = None: allowed: one of cpu, gpu",
        "pass processor='gpu'",
    )
    expect_problems(
        lambda: Model(stack, "B", container=ContainerImage.from_sagemaker_owned("djl-lmi", "0.28", processor="gpu")),
        "[OwnedImage] container.version = '0.28'",
        "closest: 0.28.0",
    )
    expect_problems(
        lambda: Model(
            stack, "C", container=ContainerImage.from_sagemaker_owned("huggingface-llm", "3.3", processor="cpu")
        ),
        "[OwnedImage] container.processor = 'cpu'",
    )
    expect_problems(
        lambda: Model(stack, "D", container=ContainerImage.from_sagemaker_owned("djl-lmi", "0.36.0", processor="gpu")),
        "[OwnedImage] container.processor = 'gpu': allowed: none: djl-lmi 0.36.0 has one image",
        "drop processor",
    )


def test_a_serverless_variant_accepts_a_sagemaker_owned_image():
    stack = Stack(new_app(), "Serverless", env=Environment(account="111111111111", region="us-east-1"))
    model = Model(stack, "Xgb", container=ContainerImage.from_sagemaker_owned("xgboost", "1.7-1"))
    EndpointConfig(
        stack,
        "Config",
        production_variants=[ServerlessProductionVariant(model=model, memory_size_in_mb=2048, max_concurrency=5)],
    )
    assert template(stack).find_resources("AWS::SageMaker::EndpointConfig")


def test_a_gpu_multi_model_variant_takes_the_owned_triton_image_and_refuses_the_owned_pytorch_one():
    stack = Stack(new_app(), "Mme")
    location = S3Location(s3.Bucket(stack, "Models"), "models/")
    for name, image in (
        ("Triton", ContainerImage.from_sagemaker_owned("sagemaker-tritonserver", "25.09", processor="gpu")),
        ("Pytorch", ContainerImage.from_sagemaker_owned("pytorch", "2.6", processor="gpu")),
    ):
        Model(stack, name, container=image, model_data=ModelData.multi_model(location))
    triton, pytorch = (stack.node.find_child(name) for name in ("Triton", "Pytorch"))
    EndpointConfig(stack, "Ok", production_variants=[variant(triton, instance_type=InstanceType.ML_G5_XLARGE)])
    expect_problems(
        lambda: EndpointConfig(
            stack, "Refused", production_variants=[variant(pytorch, instance_type=InstanceType.ML_G5_XLARGE)]
        ),
        "[MultiModelGpu] production_variants[0].model = ['SageMaker-owned pytorch/2.6/gpu']",
    )
