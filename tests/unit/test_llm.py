"""Large language models: each server's variables, the token as a dynamic reference, GPUs, and large-model defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager

from cdk_sagemaker_inference import (
    ComputeRequirements,
    Endpoint,
    EndpointConfig,
    InferenceComponent,
    InferenceComponentHostVariant,
    InstanceType,
    LargeLanguageModel,
    LlmServer,
    Model,
    ProductionVariant,
    S3Location,
    deploy_statements,
)
from tests.support import cfn_lint, expect_problems, nag_findings, new_app, template

MODEL_ID = "meta-llama/Llama-3.1-8B-Instruct"


@pytest.fixture
def pinned() -> Stack:
    return Stack(new_app(), "Llm", env=Environment(account="111111111111", region="us-east-1"))


def container_of(stack: Stack) -> dict[str, Any]:
    [model] = template(stack).find_resources("AWS::SageMaker::Model").values()
    container: dict[str, Any] = model["Properties"]["PrimaryContainer"]
    return container


@pytest.mark.parametrize(
    ("server", "expected", "image"),
    [
        (
            LlmServer.TGI,
            {"HF_MODEL_ID": MODEL_ID, "SM_NUM_GPUS": "4", "MAX_TOTAL_TOKENS": "8192", "HF_MODEL_QUANTIZE": "awq"},
            "huggingface-pytorch-tgi-inference:2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04",
        ),
        (
            LlmServer.LMI,
            {
                "HF_MODEL_ID": MODEL_ID,
                "OPTION_TENSOR_PARALLEL_DEGREE": "4",
                "OPTION_MAX_MODEL_LEN": "8192",
                "OPTION_QUANTIZE": "awq",
            },
            "djl-inference:0.36.0-lmi27.0.0-cu130",
        ),
        (
            LlmServer.VLLM,
            {
                "SM_VLLM_MODEL": MODEL_ID,
                "SM_VLLM_TENSOR_PARALLEL_SIZE": "4",
                "SM_VLLM_MAX_MODEL_LEN": "8192",
                "SM_VLLM_QUANTIZATION": "awq",
            },
            "vllm:0.30.0-gpu-py312-cu130-ubuntu24.04-sagemaker",
        ),
    ],
)
def test_each_server_gets_its_own_variables_and_image(pinned, server, expected, image):
    llm = LargeLanguageModel(server=server, model_id=MODEL_ID, gpus=4, max_total_tokens=8192, quantization="awq")
    Model(pinned, "Llm", llm=llm)

    container = container_of(pinned)
    assert container["Environment"] == expected
    assert container["Image"].endswith(f".dkr.ecr.us-east-1.amazonaws.com/{image}")


def test_the_hugging_face_token_is_a_dynamic_reference_never_the_value(pinned):
    token = secretsmanager.Secret.from_secret_name_v2(pinned, "Token", "hf-token")
    Model(pinned, "Llm", llm=LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, hf_token=token))

    reference = json.dumps(container_of(pinned)["Environment"]["HF_TOKEN"])
    assert "{{resolve:secretsmanager:" in reference and ":secret:hf-token:SecretString:::}}" in reference


def test_weights_from_s3_are_copied_uncompressed_and_served_from_opt_ml_model(pinned):
    bucket = s3.Bucket.from_bucket_name(pinned, "Weights", "llm-weights")
    llm = LargeLanguageModel(server=LlmServer.VLLM, weights=S3Location(bucket, "llama-3-8b/"))
    Model(pinned, "Llm", llm=llm)

    container = container_of(pinned)
    assert container["Environment"] == {"SM_VLLM_MODEL": "/opt/ml/model"}
    source = container["ModelDataSource"]["S3DataSource"]
    assert source["CompressionType"] == "None" and source["S3DataType"] == "S3Prefix"


def test_a_variant_serving_an_llm_waits_longer_for_download_and_startup_unless_told(pinned):
    llm = Model(pinned, "Llm", llm=LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, gpus=4))
    EndpointConfig(
        pinned,
        "Config",
        production_variants=[
            ProductionVariant(model=llm, variant_name="Default", instance_type=InstanceType.of("ml.g5.12xlarge")),
            ProductionVariant(
                model=llm,
                variant_name="Told",
                instance_type=InstanceType.of("ml.g5.12xlarge"),
                container_startup_health_check_timeout=Duration.minutes(10),
            ),
        ],
    )
    [config] = template(pinned).find_resources("AWS::SageMaker::EndpointConfig").values()
    default, told = config["Properties"]["ProductionVariants"]
    assert default["ModelDataDownloadTimeoutInSeconds"] == 1800
    assert default["ContainerStartupHealthCheckTimeoutInSeconds"] == 1800
    assert told["ContainerStartupHealthCheckTimeoutInSeconds"] == 600
    assert cfn_lint(template(pinned).to_json(), ["us-east-1"]) == []


def test_more_gpus_than_the_instance_has_or_a_cpu_instance_is_refused(pinned):
    llm = Model(pinned, "Llm", llm=LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, gpus=4))
    expect_problems(
        lambda: EndpointConfig(
            pinned,
            "Small",
            production_variants=[ProductionVariant(model=llm, instance_type=InstanceType.ML_G5_2XLARGE)],
        ),
        "[LlmGpus] production_variants[0].instance_type = ['4 GPU(s) on ml.g5.2xlarge (1)']",
    )
    expect_problems(
        lambda: EndpointConfig(
            pinned, "Cpu", production_variants=[ProductionVariant(model=llm, instance_type=InstanceType.ML_M5_LARGE)]
        ),
        "[LlmGpus] production_variants[0].instance_type = ['4 GPU(s) on ml.m5.large (0)']",
    )


def test_a_component_must_ask_for_the_gpus_its_llm_is_sharded_over(pinned):
    llm = Model(pinned, "Llm", llm=LargeLanguageModel(server=LlmServer.LMI, model_id=MODEL_ID, gpus=2))
    config = EndpointConfig(
        pinned,
        "Config",
        production_variants=[InferenceComponentHostVariant(instance_type=InstanceType.of("ml.g5.12xlarge"))],
        execution_role=llm.execution_role,
        kms_key=kms.Key.from_key_arn(pinned, "Key", "arn:aws:kms:us-east-1:111111111111:key/1234"),
    )
    endpoint = Endpoint(pinned, "Endpoint", endpoint_config=config)
    expect_problems(
        lambda: InferenceComponent(
            pinned,
            "TooFew",
            endpoint=endpoint,
            model=llm,
            compute=ComputeRequirements(min_memory_required_in_mb=16384, number_of_accelerator_devices_required=1),
        ),
        "[LlmGpus] compute.number_of_accelerator_devices_required = 1",
        "number_of_accelerator_devices_required=2",
    )
    InferenceComponent(
        pinned,
        "Enough",
        endpoint=endpoint,
        model=llm,
        compute=ComputeRequirements(min_memory_required_in_mb=16384, number_of_accelerator_devices_required=2),
    )
    [component] = template(pinned).find_resources("AWS::SageMaker::InferenceComponent").values()
    startup = component["Properties"]["Specification"]["StartupParameters"]
    assert startup == {"ModelDataDownloadTimeoutInSeconds": 1800, "ContainerStartupHealthCheckTimeoutInSeconds": 1800}
    assert nag_findings(pinned) == []


def test_bad_settings_are_refused_with_what_to_write(pinned):
    cases = [
        (LargeLanguageModel(server="ollama", model_id=MODEL_ID), "[LlmSettings] llm.server = 'ollama'"),
        (LargeLanguageModel(server=LlmServer.TGI), "[LlmSettings] llm = {'model_id': None, 'weights': None}"),
        (LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, gpus=0), "[LlmSettings] llm.gpus = 0"),
        (
            LargeLanguageModel(server=LlmServer.VLLM, model_id=MODEL_ID, max_input_tokens=1024),
            "[LlmSettings] llm.max_input_tokens = 1024: allowed: only for TGI",
        ),
        (
            LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, max_input_tokens=4096, max_total_tokens=4096),
            "less than max_total_tokens (4096)",
        ),
        (LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, hf_token="hf_abc"), "[WrongType] llm.hf_token"),
        (
            LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, version="9.9"),
            "[OwnedImage] container.version = '9.9'",
        ),
    ]
    for index, (llm, fragment) in enumerate(cases):
        expect_problems(lambda llm=llm, index=index: Model(pinned, f"Bad{index}", llm=llm), fragment)
    expect_problems(
        lambda: Model(
            pinned, "Both", llm=LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID), environment={"A": "1"}
        ),
        "[ModelContainers] llm = 'given with container, model_data, environment, containers or model_package'",
    )


def test_the_deploying_principal_may_read_the_token_secret_and_the_execution_role_may_not(pinned):
    token = secretsmanager.Secret.from_secret_name_v2(pinned, "Token", "hf-token")
    Model(pinned, "Llm", llm=LargeLanguageModel(server=LlmServer.TGI, model_id=MODEL_ID, hf_token=token))

    statements = [statement.to_statement_json() for statement in deploy_statements(pinned)]
    [read] = [s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
    assert ":secret:hf-token" in json.dumps(pinned.resolve(read["Resource"]))
    assert "secretsmanager" not in json.dumps(template(pinned).find_resources("AWS::IAM::ManagedPolicy"))
