"""Every combination of kinds and features the rules allow synthesizes, cfn-lint clean in one template.

The refused combinations are tested where each feature is (test_multi_model, test_multi_container,
test_inference_components, test_shadow_and_capture, test_serverless, test_async).
"""

from collections.abc import Callable

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_sagemaker_inference import (
    AsyncInference,
    ComputeRequirements,
    DataCapture,
    Endpoint,
    EndpointConfig,
    InferenceComponent,
    InferenceComponentHostVariant,
    InferenceExecutionMode,
    InstanceType,
    ManagedInstanceScaling,
    Model,
    ModelContainer,
    ModelData,
    S3Location,
    ServerlessProductionVariant,
    SmokeTestPayload,
)
from tests.support import ROOT, cfn_lint, ecr_image, new_stack, template, variant

MODEL_DIR = str(ROOT / "containers" / "sentiment-model")


def bucket(scope: Construct) -> s3.Bucket:
    return s3.Bucket(scope, "Bucket")


def single(scope: Construct, construct_id: str = "Model") -> Model:
    return Model(
        scope,
        construct_id,
        container=ecr_image(Stack.of(scope)),
        model_data=ModelData.from_s3_url("s3://models-bucket/m.tar.gz"),
    )


def multi_model(scope: Construct) -> Model:
    data = ModelData.multi_model(S3Location(bucket(scope), "models/"), models={"sentiment": MODEL_DIR})
    return Model(scope, "Model", container=ecr_image(Stack.of(scope)), model_data=data)


def direct(scope: Construct) -> Model:
    containers = [ModelContainer(image=ecr_image(Stack.of(scope)), hostname=name) for name in ("a", "b")]
    return Model(scope, "Model", containers=containers, inference_execution_mode=InferenceExecutionMode.DIRECT)


def pipeline_with_multi_model(scope: Construct) -> Model:
    data = ModelData.multi_model(S3Location(bucket(scope), "models/"))
    containers = [
        ModelContainer(image=ecr_image(Stack.of(scope))),
        ModelContainer(image=ecr_image(Stack.of(scope)), model_data=data),
    ]
    return Model(scope, "Model", containers=containers)


def uncompressed(scope: Construct) -> Model:
    data = ModelData.from_uncompressed(bucket(scope), "weights/")
    return Model(scope, "Model", container=ecr_image(Stack.of(scope)), model_data=data)


def capture(scope: Construct) -> DataCapture:
    return DataCapture(destination=S3Location(s3.Bucket(scope, "Captures"), "capture/"))


def config(scope: Construct, variants, **kwargs) -> EndpointConfig:
    return EndpointConfig(scope, "Config", production_variants=variants, **kwargs)


def two(model: Model):
    return [variant(model, variant_name="A"), variant(model, variant_name="B")]


def components(scope: Construct) -> None:
    scaling = ManagedInstanceScaling(min_instance_count=0, max_instance_count=2)
    host = InferenceComponentHostVariant(instance_type=InstanceType.ML_M5_LARGE, managed_instance_scaling=scaling)
    made = config(scope, [host])
    endpoint = Endpoint(scope, "Endpoint", endpoint_config=made, endpoint_name=f"ic-{scope.node.id.lower()}")
    model = Model(scope, "Model", container=ecr_image(Stack.of(scope)), role=made.execution_role)
    base = InferenceComponent(
        scope, "Component", endpoint=endpoint, model=model, compute=ComputeRequirements(min_memory_required_in_mb=1024)
    )
    base.add_adapter("Adapter", artifacts=ModelData.from_s3_url("s3://adapters-bucket/lora.tar.gz"))
    # The host may be at zero instances: the test waits out "no capacity" for up to 15 minutes.
    endpoint.add_smoke_test(
        payload=SmokeTestPayload.from_text("great"), inference_component=base, timeout=Duration.minutes(15)
    )


ALLOWED: dict[str, Callable[[Construct], object]] = {
    "real-time with data capture": lambda scope: config(scope, [variant(single(scope))], data_capture=capture(scope)),
    "shadow with data capture": lambda scope: config(
        scope,
        [variant(single(scope), variant_name="Production")],
        shadow_production_variants=[variant(single(scope, "Candidate"), variant_name="Shadow")],
        data_capture=capture(scope),
    ),
    "async with data capture": lambda scope: config(
        scope, [variant(single(scope))], async_inference=AsyncInference(), data_capture=capture(scope)
    ),
    "multi-model A/B": lambda scope: config(scope, two(multi_model(scope))),
    "multi-model async": lambda scope: config(scope, [variant(multi_model(scope))], async_inference=AsyncInference()),
    "multi-model on one GPU": lambda scope: config(
        scope, [variant(multi_model(scope), instance_type=InstanceType.of("ml.g5.xlarge"))]
    ),
    "Direct containers A/B": lambda scope: config(scope, two(direct(scope))),
    "Direct containers async": lambda scope: config(scope, [variant(direct(scope))], async_inference=AsyncInference()),
    "pipeline with one multi-model container": lambda scope: config(scope, [variant(pipeline_with_multi_model(scope))]),
    "uncompressed real-time": lambda scope: config(scope, [variant(uncompressed(scope))]),
    "uncompressed async": lambda scope: config(scope, [variant(uncompressed(scope))], async_inference=AsyncInference()),
    "serverless": lambda scope: config(scope, [ServerlessProductionVariant(model=single(scope))]),
    "inference components with an adapter, scaling to zero": components,
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_an_allowed_combination_synthesizes(name):
    stack = new_stack()
    ALLOWED[name](Construct(stack, "Case"))
    assert template(stack).find_resources("AWS::SageMaker::EndpointConfig")


def test_every_allowed_combination_in_one_template_is_cfn_lint_clean():
    stack = new_stack()
    for index, build in enumerate(ALLOWED.values()):
        build(Construct(stack, f"Case{index}"))
    assert cfn_lint(template(stack).to_json(), regions=["us-east-1"]) == []
