"""Property: any input through the public API (endpoints and smoke tests; components, scaling, deployments and
capture) ends in a clean synth or a ValidationError, never another exception.

Checks that wait for every ``add_*()`` (a smoke test's targets against the variants) run when the app
synthesizes; the CDK then reports our message (path, rule, property, value, fix) in its validation error.

Hypothesis draws every argument from well-formed values, wrong types, NaN and infinities, huge and fractional
numbers, Durations (fractional, token, in other units), tokens, wildcards and arbitrary text. A clean synth
renders a template; an error names the construct path and, per problem, the rule, property, value, allowed
values and fix. Afterwards the CDK's Node.js runtime still answers (NaN once killed it). Derandomized, so
CI runs the same examples every time.
"""

import math
import re

from aws_cdk import CfnParameter, Duration, Stack, Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdk_sagemaker_inference import (
    BodyCheck,
    ContainerImage,
    Endpoint,
    EndpointConfig,
    ExpectedResponse,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
    SmokeTestPayload,
    ValidationError,
)
from cdk_sagemaker_inference.rules import LOOK_UP
from tests.support import new_app

PROBLEM_LINE = re.compile(r"  - \[[A-Za-z0-9.]+\] [a-z_][^=]* = .+: allowed: .+\. Fix: .+")
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=70)  # no lone surrogates: not strings jsii sends
NAME = st.from_regex(r"[a-zA-Z0-9](-?[a-zA-Z0-9]){0,20}", fullmatch=True)
BAD_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([10**400, 2**31, 2.5, True, "2", -1])
)


def mostly(valid, *invalid):
    """``valid`` nine times in ten, else one of ``invalid``: most examples then reach the later constructs."""
    return st.integers(0, 9).flatmap(lambda n: valid if n < 9 else st.one_of(*invalid))


# Values that need a stack are drawn as recipes: functions of the stack under test.
def token_number(stack):
    return CfnParameter(stack, f"N{len(stack.node.children)}", type="Number").value_as_number


def token_text(stack):
    return CfnParameter(stack, f"S{len(stack.node.children)}").value_as_string


def constant(value):
    return st.just(lambda stack: value)


def durations():
    return mostly(
        st.one_of(
            constant(None),
            st.integers(60, 3600).map(lambda n: lambda stack: Duration.seconds(n)),
            st.just(lambda stack: Duration.seconds(token_number(stack))),
        ),
        st.integers(-10, 5000).map(lambda n: lambda stack: Duration.seconds(n) if n >= 0 else n),
        st.integers(0, 4_000_000).map(lambda n: lambda stack: Duration.millis(n)),
        st.just(lambda stack: Duration.minutes(token_number(stack))),
        constant("10 minutes"),
    )


def images():
    def from_repository(name, tag, digest):
        return lambda stack: ContainerImage.from_ecr_repository(
            ecr.Repository.from_repository_name(stack, "Repository", name), tag=tag, digest=digest
        )

    def from_uri(uri):
        return lambda stack: ContainerImage.from_image_uri(uri)

    return mostly(
        st.one_of(
            st.builds(from_repository, st.just("inference"), st.just("1.0"), st.none()),
            st.just(from_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1")),
        ),
        st.builds(
            from_repository,
            st.one_of(TEXT, st.sampled_from(["team/*", "models?"])),
            st.one_of(st.none(), TEXT),
            st.one_of(st.none(), st.just("sha256:" + "a" * 64), TEXT),
        ),
        TEXT.map(from_uri),
        constant("model:1"),
    )


def model_data():
    def from_url(url):
        return lambda stack: ModelData.from_s3_url(url)

    def from_bucket(key):
        return lambda stack: ModelData.from_bucket(s3.Bucket.from_bucket_name(stack, "B", token_text(stack)), key)

    keys = st.sampled_from(["model.tar.gz", "m/model.tgz", "weights.bin"])
    return mostly(
        st.one_of(constant(None), keys.map(lambda key: from_url(f"s3://bucket-1/{key}")), keys.map(from_bucket)),
        st.one_of(st.sampled_from(["models/*", "a?", ""]), TEXT).map(lambda key: from_url(f"s3://bucket-1/{key}")),
        TEXT.map(from_url),
        TEXT.map(from_bucket),
        constant("s3://bucket-1/model.tar.gz"),
    )


def payloads():
    json_values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True), TEXT),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
        max_leaves=6,
    )
    return mostly(
        st.one_of(st.builds(SmokeTestPayload.from_text, TEXT), json_values.map(SmokeTestPayload.from_json)),
        st.builds(SmokeTestPayload.from_text, TEXT, TEXT),
        st.just("great"),
    )


def expectations():
    bodies = mostly(
        st.one_of(st.none(), TEXT.map(BodyCheck.contains), st.sampled_from([r"\d+", "ok$"]).map(BodyCheck.matches)),
        st.one_of(st.sampled_from([r"(a+)+$", "(", "a{4294967296}"]), TEXT).map(BodyCheck.matches),
        st.dictionaries(TEXT, st.floats(allow_nan=True), max_size=2).map(BodyCheck.json_subset),
    )
    status = mostly(st.sampled_from([200, 400]), st.integers(-5, 700), st.sampled_from(["200", True, 200.5]))
    content_type = mostly(st.sampled_from([None, "application/json"]), TEXT)
    return mostly(st.builds(ExpectedResponse, status=status, content_type=content_type, body=bodies), st.just({}))


CASES = st.fixed_dictionaries(
    {
        "image": images(),
        "model_data": model_data(),
        "environment": mostly(
            st.one_of(st.none(), st.dictionaries(st.from_regex(r"[A-Z_]{1,8}", fullmatch=True), TEXT, max_size=2)),
            st.dictionaries(TEXT, TEXT, max_size=3),
            st.just(["A=1"]),
        ),
        "network_isolation": mostly(st.booleans(), st.just("yes")),
        "instance_type": mostly(
            st.sampled_from([InstanceType.ML_M5_LARGE, InstanceType.ML_G5_XLARGE]),
            TEXT.map(InstanceType.of),
            st.just("ml.m5.large"),
        ).map(lambda value: lambda stack: value),
        "variant_name": mostly(st.one_of(NAME, st.just("AllTraffic")), TEXT),
        "count": mostly(st.integers(1, 10), BAD_NUMBERS, st.integers(-3, 0)),
        "weight": mostly(st.floats(0, 100), BAD_NUMBERS),
        "volume": mostly(st.one_of(st.none(), st.integers(1, 512)), BAD_NUMBERS),
        "download_timeout": durations(),
        "endpoint_name": mostly(st.one_of(st.none(), NAME, st.just(token_text)), TEXT),
        "smoke_test": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "payload": payloads(),
                    "expect": expectations(),
                    "accept": mostly(st.sampled_from([None, "application/json"]), TEXT),
                    "target_variant": mostly(st.none(), NAME, TEXT),
                    "timeout": durations(),
                }
            ),
        ),
        "metric_variant": mostly(st.none(), NAME, TEXT),
        "imported_arn": mostly(
            st.sampled_from([None, "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/prod"]),
            TEXT,
            st.just("arn:aws:sagemaker:us-east-1:123:endpoint/x"),
        ),
    }
)


def build(stack: Stack, case: dict) -> None:
    """Everything the case names, through the public API only."""
    name = case["endpoint_name"]
    model = Model(
        stack,
        "Model",
        container=case["image"](stack),
        model_data=case["model_data"](stack),
        environment=case["environment"],
        network_isolation=case["network_isolation"],
    )
    variant = ProductionVariant(
        model=model,
        instance_type=case["instance_type"](stack),
        variant_name=case["variant_name"],
        initial_instance_count=case["count"],
        initial_variant_weight=case["weight"],
        volume_size_in_gb=case["volume"],
        model_data_download_timeout=case["download_timeout"](stack),
    )
    config = EndpointConfig(stack, "Config", production_variants=[variant])
    endpoint = Endpoint(
        stack, "Endpoint", endpoint_config=config, endpoint_name=name(stack) if callable(name) else name
    )
    if case["metric_variant"] is not None:
        endpoint.metric_invocations(case["metric_variant"])
    if case["smoke_test"] is not None:
        test = dict(case["smoke_test"])
        test["timeout"] = test["timeout"](stack)
        endpoint.add_smoke_test(**test)
    if case["imported_arn"] is not None:
        Endpoint.from_endpoint_arn(stack, "Imported", case["imported_arn"]).metric_invocations("AllTraffic")


def assert_names_path_property_value_and_fix(error: ValidationError) -> None:
    lines = str(error).splitlines()
    assert lines[0].startswith(f"{error.construct_path}: ")
    # a construct of the stack under test, or the factory called (ModelData.from_asset), which has no construct
    assert re.fullmatch(r"Fuzz(/\S+)?|[A-Za-z]\w*(\.\w+)?", error.construct_path), error.construct_path
    assert error.problems and len(lines) == len(error.problems) + 2
    for line in lines[1:-1]:
        assert PROBLEM_LINE.fullmatch(line), line
    assert lines[-1] == f"  ([ID] is a rule of cdk-sagemaker-inference: {LOOK_UP})"


def assert_synth_error_names_path_property_value_and_fix(message: str) -> None:
    assert "Validation failed with the following errors" in message, message
    problems = [line.strip() for line in message.splitlines() if line.strip().startswith("- [")]
    assert problems, message
    for problem in problems:
        assert PROBLEM_LINE.fullmatch(f"  {problem}"), problem
    assert re.search(r"\[Fuzz\] Fuzz/\S+: \d+ invalid propert", message), message


@settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_every_input_ends_in_a_clean_synth_or_a_validation_error(case):
    stack = Stack(new_app(), "Fuzz")
    try:
        build(stack, case)
    except ValidationError as error:
        assert_names_path_property_value_and_fix(error)
        return
    try:
        Template.from_stack(stack)  # a clean synth: the template renders
    except RuntimeError as error:  # checks made at synth (after every add_*) report through the CDK's validation
        assert_synth_error_names_path_property_value_and_fix(str(error))


FEATURE_CASES = st.fixed_dictionaries(
    {
        "min_instances": mostly(st.integers(0, 1), BAD_NUMBERS, st.integers(2, 5)),
        "max_instances": mostly(st.integers(1, 4), BAD_NUMBERS),
        "memory_mb": mostly(st.integers(128, 4096), BAD_NUMBERS, st.integers(-5, 127)),
        "cpu_cores": mostly(st.one_of(st.none(), st.floats(0.25, 4)), BAD_NUMBERS),
        "copies": mostly(st.just(1), BAD_NUMBERS, st.integers(0, 5)),
        "min_copies": mostly(st.integers(0, 1), BAD_NUMBERS),
        "max_copies": mostly(st.integers(1, 4), BAD_NUMBERS),
        "target": mostly(st.floats(0.1, 200), BAD_NUMBERS, st.floats(-10, 0)),
        "canary_percent": mostly(st.integers(1, 50), BAD_NUMBERS, st.integers(51, 200)),
        "wait": durations(),
        "sampling": mostly(st.integers(0, 100), BAD_NUMBERS),
        "capture_input": mostly(st.booleans(), st.just("yes")),
    }
)


def build_features(stack: Stack, case: dict) -> None:
    """Inference components, copy scaling, a canary deployment and data capture, through the public API only."""
    from cdk_sagemaker_inference import (
        BlueGreenDeployment,
        CapacitySize,
        ComputeRequirements,
        DataCapture,
        InferenceComponent,
        InferenceComponentHostVariant,
        ManagedInstanceScaling,
        S3Location,
        TrafficRouting,
    )

    host = InferenceComponentHostVariant(
        instance_type=InstanceType.ML_M5_LARGE,
        initial_instance_count=1,
        managed_instance_scaling=ManagedInstanceScaling(
            min_instance_count=case["min_instances"], max_instance_count=case["max_instances"]
        ),
    )
    hosts = EndpointConfig(stack, "Hosts", production_variants=[host])
    hosting = Endpoint(stack, "Hosting", endpoint_config=hosts)
    image = ContainerImage.from_image_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1")
    component = InferenceComponent(
        stack,
        "Component",
        endpoint=hosting,
        model=Model(stack, "Shared", container=image, role=hosts.execution_role),
        compute=ComputeRequirements(
            min_memory_required_in_mb=case["memory_mb"], number_of_cpu_cores_required=case["cpu_cores"]
        ),
        copy_count=case["copies"],
    )
    copies = component.auto_scale_copy_count(min_capacity=case["min_copies"], max_capacity=case["max_copies"])
    copies.scale_on_invocations("Invocations", invocations_per_copy=case["target"])
    model = Model(stack, "Model", container=image, model_data=ModelData.from_s3_url("s3://bucket-1/model.tar.gz"))
    capture = DataCapture(
        destination=S3Location(s3.Bucket(stack, "Captures"), "capture/"),
        sampling_percentage=case["sampling"],
        capture_input=case["capture_input"],
    )
    config = EndpointConfig(
        stack,
        "Config",
        production_variants=[
            ProductionVariant(model=model, instance_type=InstanceType.ML_M5_LARGE, initial_instance_count=2)
        ],
        data_capture=capture,
    )
    routing = TrafficRouting.canary(CapacitySize.percent(case["canary_percent"]), wait_interval=case["wait"](stack))
    Endpoint(stack, "Endpoint", endpoint_config=config, deployment=BlueGreenDeployment(traffic_routing=routing))


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(FEATURE_CASES)
def test_every_input_to_components_scaling_deployments_and_capture_ends_cleanly(case):
    stack = Stack(new_app(), "Fuzz")
    try:
        build_features(stack, case)
    except ValidationError as error:
        assert_names_path_property_value_and_fix(error)
        return
    try:
        Template.from_stack(stack)
    except RuntimeError as error:
        assert_synth_error_names_path_property_value_and_fix(str(error))


def test_the_cdk_runtime_survives_the_property_test():
    # Runs after the property tests in this module: a dead jsii kernel would fail here.
    assert Token.is_unresolved(Token.as_string({"Ref": "X"}))
    assert not math.isnan(Duration.minutes(2).to_seconds())
