"""Layout guard and wheel: constructs/ stays a source root; the wheel works from outside this repo."""

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import constructs
import pytest

import cdk_sagemaker_inference
from tests.support import ROOT


def test_constructs_folder_is_a_source_root_not_a_package():
    assert not (ROOT / "constructs" / "__init__.py").exists(), "it would shadow the constructs library"
    assert list(ROOT.glob("tests/**/constructs/__init__.py")) == []
    assert "site-packages" in constructs.__file__
    assert cdk_sagemaker_inference.__file__.startswith(str(ROOT / "constructs"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr
    assert "deprecated" not in printed.lower() and "would be ignored" not in printed, printed
    [built] = out.glob("cdk_sagemaker_inference-*.whl")
    return built


def test_the_venv_holds_aws_cdk_libs_own_cloud_assembly_schema():
    """aws-cdk.cloud-assembly-schema, a dependency of aws-cdk-lib, ships the same module path with other jsii types:
    with its copy, reading a synth's messages fails ("Unknown interface"). make setup installs aws-cdk-lib last."""
    from aws_cdk import cloud_assembly_schema

    jsii_type = cloud_assembly_schema.ArtifactManifest.__jsii_type__
    assert jsii_type.startswith("aws-cdk-lib."), (jsii_type, cloud_assembly_schema.__file__)


def test_wheel_holds_the_package_at_top_level_and_no_constructs_folder(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"cdk_sagemaker_inference"}
    assert "cdk_sagemaker_inference/py.typed" in names
    assert "cdk_sagemaker_inference/owned_images.json" in names  # ContainerImage.from_sagemaker_owned reads it
    assert "cdk_sagemaker_inference/endpoint.py" in names
    handler_files = sorted(name for name in names if name.startswith("cdk_sagemaker_inference/_lambda/"))
    assert handler_files == [
        "cdk_sagemaker_inference/_lambda/__init__.py",
        "cdk_sagemaker_inference/_lambda/model_registry/resolver.py",
        "cdk_sagemaker_inference/_lambda/scaling_guard/guard_handler.py",
        "cdk_sagemaker_inference/_lambda/smoke_test/checks.py",
        "cdk_sagemaker_inference/_lambda/smoke_test/handler.py",
    ]


APP_OUTSIDE_THE_REPO = textwrap.dedent(
    """
    import json
    from pathlib import Path
    import cdk_sagemaker_inference as lib
    from aws_cdk import App, Stack
    from cdk_sagemaker_inference import (
        ContainerImage, Endpoint, EndpointConfig, InstanceType, Model, ModelData, ProductionVariant,
        SmokeTestPayload,
    )

    app = App(builtin_cloud_formation_validation=False)
    stack = Stack(app, "Consumer")
    model = Model(
        stack,
        "Model",
        container=ContainerImage.from_sagemaker_owned("xgboost", "1.7-1"),  # reads the wheel's owned_images.json
        model_data=ModelData.from_local_directory("model"),
    )
    config = EndpointConfig(stack, "Config", production_variants=[
        ProductionVariant(model=model, instance_type=InstanceType.ML_C5_LARGE, initial_instance_count=2),
    ])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    endpoint.add_smoke_test(payload=SmokeTestPayload.from_text("ping"))
    assembly = app.synth()
    template = assembly.get_stack_by_name("Consumer").template
    handler_assets = [p.name for p in Path(assembly.directory).glob("asset.*/handler.py")]
    print(json.dumps({
        "file": lib.__file__,
        "types": sorted(r["Type"] for r in template["Resources"].values()),
        "handler_assets": handler_assets,
    }))
    """
)


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory):
    """A folder the wheel is installed into, for ``PYTHONPATH`` (its dependencies come from this venv)."""
    site = tmp_path_factory.mktemp("site")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    return site


def test_installed_wheel_synthesizes_an_app_outside_the_repo(site, tmp_path):
    app_dir = tmp_path / "consumer"
    (app_dir / "model").mkdir(parents=True)
    (app_dir / "model" / "weights.json").write_text("{}")
    (app_dir / "app.py").write_text(APP_OUTSIDE_THE_REPO)
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=app_dir, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["file"].startswith(str(site))
    assert {
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "Custom::SageMakerEndpointSmokeTest",
    } <= set(report["types"])
    assert report["handler_assets"] == ["handler.py"]  # the handler code came from the installed wheel


def test_installed_wheel_prints_the_rules_its_messages_cite(site, tmp_path):
    # A ValidationError cites rule IDs; an installed wheel has no docs/ folder, so the package prints them.
    env = {**os.environ, "PYTHONPATH": str(site)}

    def rules(*ids):
        return subprocess.run(
            [sys.executable, "-m", "cdk_sagemaker_inference", *ids],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    cited = rules("[ImageRegion]", "ZeroTrackingOnly")
    assert cited.returncode == 0, cited.stderr
    assert cited.stdout.startswith("ImageRegion (error): a model's image is in ECR in the model's own Region")
    assert cited.stdout.splitlines()[1].startswith("ZeroTrackingOnly (error): ")
    everything = rules()
    assert everything.stdout == cdk_sagemaker_inference.rules.markdown()
    unknown = rules("NoSuchRule")
    assert unknown.returncode == 1 and "no rule NoSuchRule" in unknown.stderr
