"""Each class of bad input ends in a ValidationError naming path, property, value and fix, never a crash."""

import gzip
import math

import pytest
from aws_cdk import CfnParameter, Duration, Environment, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import (
    BodyCheck,
    ContainerImage,
    DataCapture,
    Endpoint,
    EndpointConfig,
    ExpectedResponse,
    InstanceType,
    Model,
    ModelData,
    ProductionVariant,
    S3Location,
    SmokeTestPayload,
    validate,
)
from tests.support import (
    component_endpoint,
    ecr_model,
    expect_problems,
    new_app,
    only_resource,
    realtime_endpoint,
    synth_errors,
    template,
    variant,
)

US = Environment(account="111111111111", region="us-east-1")


def config_with(stack, **variant_kwargs):
    return EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), **variant_kwargs)])


# Wrong types.


def test_a_string_instance_type_says_to_write_instance_type_of(stack):
    expect_problems(
        lambda: config_with(stack, instance_type="ml.m5.large"),
        "TestStack/Config",
        "[WrongType] production_variants[0].instance_type = 'ml.m5.large'",
        "write InstanceType.of('ml.m5.large')",
    )


def test_an_int_where_a_duration_is_expected_says_duration_seconds(stack):
    expect_problems(
        lambda: config_with(stack, model_data_download_timeout=600),
        "production_variants[0].model_data_download_timeout = 600: allowed: a Duration, not an int",
        "write Duration.seconds(600)",
    )


def test_strings_where_a_role_a_key_or_a_repository_is_expected(stack):
    expect_problems(
        lambda: ecr_model(stack, role="arn:aws:iam::1:role/x"), "[WrongType] role", "iam.Role.from_role_arn"
    )
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(ecr_model(stack, "Other"))], kms_key="alias/x"
        ),
        "[WrongType] kms_key = 'alias/x'",
    )
    expect_problems(
        lambda: Model(stack, "Repo", container=ContainerImage.from_ecr_repository("inference", tag="1")),
        "[WrongType] container.repository = 'inference'",
        "ecr.Repository.from_repository_name",
    )


def test_an_l1_model_where_a_model_is_expected(stack):
    l1 = sagemaker.CfnModel(stack, "L1", execution_role_arn="arn:aws:iam::1:role/x")
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[ProductionVariant(model=l1, instance_type=InstanceType.ML_M5_LARGE)]
        ),
        "[WrongType] production_variants[0].model",
        "allowed: a Model, not a CfnModel",
    )


def test_wrong_types_for_the_other_arguments(stack):
    expect_problems(lambda: Model(stack, "NoImage", container="image:1"), "[WrongType] container = 'image:1'")
    expect_problems(lambda: ecr_model(stack, "Env", environment=["A=1"]), "[WrongType] environment")
    expect_problems(lambda: ecr_model(stack, "Iso", network_isolation="yes"), "[WrongType] network_isolation")
    expect_problems(lambda: ecr_model(stack, "Data", model_data="s3://b/m.tar.gz"), "[WrongType] model_data")
    model = ecr_model(stack)
    expect_problems(lambda: EndpointConfig(stack, "One", production_variants=variant(model)), "production_variants")
    expect_problems(lambda: Endpoint(stack, "Endpoint", endpoint_config="config"), "[WrongType] endpoint_config")


# Numbers.


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        (
            "initial_variant_weight",
            math.nan,
            "[Number] production_variants[0].initial_variant_weight (InitialVariantWeight) = nan",
        ),
        ("initial_variant_weight", math.inf, "a finite number"),
        ("initial_variant_weight", -math.inf, "a finite number"),
        ("initial_variant_weight", 1e39, "a number (float32) from"),
        (
            "initial_instance_count",
            2.5,
            "[Number] production_variants[0].initial_instance_count (InitialInstanceCount) = 2.5",
        ),
        ("initial_instance_count", 10**400, "an integer (int32) from -2.14748e+09 to 2.14748e+09"),
        ("volume_size_in_gb", 2**31, "an integer (int32) from"),
        ("initial_instance_count", True, "[WrongType]"),
        ("initial_instance_count", "2", "[WrongType]"),
    ],
)
def test_nan_infinities_fractions_and_out_of_range_numbers_are_problems(stack, field, value, fragment):
    expect_problems(lambda: config_with(stack, **{field: value}), fragment)


def test_a_whole_float_is_an_integer(stack):
    config_with(stack, initial_instance_count=2.0)


# Durations.


def test_fractional_seconds_are_a_problem_not_a_cdk_error(stack):
    expect_problems(
        lambda: config_with(stack, model_data_download_timeout=Duration.millis(60_500)),
        "[WholeSeconds] production_variants[0].model_data_download_timeout = '60.5 seconds'",
    )


def test_a_token_duration_in_minutes_says_to_give_seconds(stack):
    minutes = CfnParameter(stack, "Minutes", type="Number").value_as_number
    expect_problems(
        lambda: config_with(stack, model_data_download_timeout=Duration.minutes(minutes)),
        "[WholeSeconds]",
        "write Duration.seconds(<token in seconds>)",
    )


def test_a_token_duration_in_seconds_is_not_validated_and_renders_as_given(stack):
    seconds = CfnParameter(stack, "Seconds", type="Number").value_as_number
    config_with(stack, model_data_download_timeout=Duration.seconds(seconds))
    rendered = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"][0]
    assert rendered["ModelDataDownloadTimeoutInSeconds"] == {"Ref": "Seconds"}


# Wildcards never widen a grant.


def test_a_wildcard_key_is_refused_even_in_a_bucket_known_only_at_deploy_time(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", CfnParameter(stack, "B").value_as_string)
    for key in ("models/*", "model-?.tar.gz"):
        expect_problems(
            lambda key=key: ecr_model(stack, key, model_data=ModelData.from_bucket(bucket, key)),
            f"[NoWildcardKey] model_data.key = {key!r}",
        )


@pytest.mark.parametrize("name", ["team/*", "models?", "UPPER", "a"])
def test_repository_names_follow_ecrs_pattern(stack, name):
    repository = ecr.Repository.from_repository_name(stack, "Repo", name)
    expect_problems(
        lambda: Model(stack, "Model", container=ContainerImage.from_ecr_repository(repository, tag="1")),
        "[Api.RepositoryName] container.repository",
    )


def test_an_image_uri_with_a_wildcard_repository_is_refused(stack):
    expect_problems(
        lambda: Model(
            stack, "Model", container=ContainerImage.from_image_uri("1.dkr.ecr.us-east-1.amazonaws.com/team/*:1")
        ),
        "container",
    )


# Model-data keys.


def annotations(stack):
    return Annotations.from_stack(stack)


@pytest.mark.parametrize("key", ["m/model.tar.gz", "m/model.tgz", "a" * 64 + ".gz"])
def test_archive_and_asset_keys_draw_no_warning(stack, key):
    ecr_model(stack, model_data=ModelData.from_s3_url(f"s3://bucket-1/{key}"))
    annotations(stack).has_no_warning("*", Match.any_value())


def test_another_key_name_is_a_warning_not_an_error(stack):
    ecr_model(stack, model_data=ModelData.from_s3_url("s3://bucket-1/weights.bin"))
    annotations(stack).has_warning("/TestStack/Model", Match.string_like_regexp(r"\[ModelArchiveName\].*weights.bin"))


def test_a_local_file_is_judged_by_its_content_not_its_name(stack, tmp_path):
    archive = tmp_path / "weights.bin"
    archive.write_bytes(gzip.compress(b"tar bytes"))
    ecr_model(stack, "Gzip", model_data=ModelData.from_asset(str(archive)))
    plain = tmp_path / "model.tar.gz"
    plain.write_text("not compressed")
    expect_problems(
        lambda: ecr_model(stack, "Plain", model_data=ModelData.from_asset(str(plain))),
        "[LocalArchive] model_data",
        "a gzip-compressed tar",
    )


# Cross-stack references.


def test_a_model_in_another_region_than_its_config_is_an_error():
    app = new_app()
    model = ecr_model(Stack(app, "Models", env=US))
    other = Stack(app, "Configs", env=Environment(account="111111111111", region="eu-west-1"))
    expect_problems(
        lambda: EndpointConfig(other, "Config", production_variants=[variant(model)]),
        "Configs/Config",
        "[SameEnvironment] production_variants[0].model = 'Models/Model in region us-east-1'",
    )


def test_a_config_in_another_account_than_its_endpoint_is_an_error():
    app = new_app()
    config = config_with(Stack(app, "Configs", env=US))
    other = Stack(app, "Endpoints", env=Environment(account="222222222222", region="us-east-1"))
    expect_problems(lambda: Endpoint(other, "Endpoint", endpoint_config=config), "[SameEnvironment] endpoint_config")


def test_environment_agnostic_stacks_may_refer_to_each_other():
    app = new_app()
    config = config_with(Stack(app, "Configs"))
    Endpoint(Stack(app, "Endpoints"), "Endpoint", endpoint_config=config)


def test_a_pinned_model_and_an_environment_agnostic_config_are_an_error_not_a_cdk_failure():
    app = new_app()
    model = ecr_model(Stack(app, "Models", env=US))
    expect_problems(
        lambda: EndpointConfig(Stack(app, "Configs"), "Config", production_variants=[variant(model)]),
        "[SameEnvironment] production_variants[0].model = 'Models/Model in account 111111111111'",
        "give both stacks the same env",
    )


def test_a_config_in_another_stack_serving_a_model_of_the_endpoints_stack_is_a_cycle_refused_at_synth():
    app = new_app()
    endpoints, configs = Stack(app, "Endpoints"), Stack(app, "Configs")
    model = ecr_model(endpoints)
    config = EndpointConfig(configs, "Config", production_variants=[variant(model)])
    expect_problems(
        lambda: Endpoint(endpoints, "Endpoint", endpoint_config=config),
        '[SameEnvironment] endpoint_config = "Configs/Config, serving Endpoints/Model of this endpoint\'s stack"',
        "define the config in the endpoint's stack",
    )


def test_two_endpoints_with_one_literal_name_in_one_app_are_an_error():
    app = new_app()
    first, second = Stack(app, "First", env=US), Stack(app, "Second", env=US)
    Endpoint(first, "Endpoint", endpoint_config=config_with(first), endpoint_name="prod")
    expect_problems(
        lambda: Endpoint(second, "Endpoint", endpoint_config=config_with(second), endpoint_name="Prod"),
        "Second/Endpoint",
        "[UniqueEndpointName] endpoint_name = 'Prod'",
        "taken by First/Endpoint",
    )


def test_one_name_in_two_regions_is_fine():
    app = new_app()
    first = Stack(app, "First", env=US)
    second = Stack(app, "Second", env=Environment(account="111111111111", region="eu-west-1"))
    Endpoint(first, "Endpoint", endpoint_config=config_with(first), endpoint_name="prod")
    Endpoint(second, "Endpoint", endpoint_config=config_with(second), endpoint_name="prod")


# Metrics and importers.


def test_a_metric_of_a_variant_the_endpoint_lacks_is_an_error(stack):
    endpoint = realtime_endpoint(stack, variant_name="Blue")
    endpoint.metric_invocations("Blue")
    expect_problems(
        lambda: endpoint.metric_model_latency("Green"),
        "TestStack/Endpoint",
        "[KnownVariant] variant_name = 'Green': allowed: one of this endpoint's variants: ['Blue']",
    )
    expect_problems(lambda: endpoint.metric("Invocations", "Green", statistic="Sum"), "[KnownVariant]")


@pytest.mark.parametrize("arn", ["arn:aws:sagemaker:us-east-1:123:endpoint/x", "not-an-arn", "arn:aws:s3:::bucket"])
def test_a_malformed_imported_arn_is_an_error(stack, arn):
    expect_problems(
        lambda: Endpoint.from_endpoint_arn(stack, "Imported", arn), "TestStack/Imported", "[Api.EndpointArn]"
    )


def test_a_malformed_imported_name_is_an_error(stack):
    expect_problems(lambda: Endpoint.from_endpoint_name(stack, "Imported", "bad_name"), "[Api.EndpointName]")


def test_an_imported_endpoint_has_the_account_and_region_of_its_arn(stack):
    imported = Endpoint.from_endpoint_arn(stack, "Imported", "arn:aws:sagemaker:eu-west-1:222222222222:endpoint/prod")
    assert imported.endpoint_name == "prod"
    assert (imported.env.account, imported.env.region) == ("222222222222", "eu-west-1")
    metric = imported.metric_invocations("AllTraffic")
    assert (metric.account, metric.region) == ("222222222222", "eu-west-1")


def test_an_imported_endpoint_in_the_stacks_own_environment_has_plain_metrics():
    stack = Stack(new_app(), "Here", env=US)
    imported = Endpoint.from_endpoint_arn(stack, "Imported", "arn:aws:sagemaker:us-east-1:111111111111:endpoint/prod")
    assert imported.metric_invocations("AllTraffic").account is None


# Smoke-test options.


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"accept": "application/json\r\nX-Injected: 1"}, "[MediaType] accept"),
        ({"accept": "json"}, "[MediaType] accept = 'json'"),
        ({"payload": SmokeTestPayload.from_text("x", content_type="text plain")}, "[MediaType] payload.content_type"),
        ({"expect": ExpectedResponse(status="200")}, "[HttpStatus] expect.status = '200'"),
        ({"expect": ExpectedResponse(status=True)}, "[HttpStatus]"),
        ({"expect": ExpectedResponse(status=600)}, "[HttpStatus]"),
        ({"payload": SmokeTestPayload.from_json({"x": math.nan})}, "[FiniteJson] payload"),
        ({"expect": ExpectedResponse(body=BodyCheck.json_subset({"x": math.inf}))}, "[FiniteJson] expect.body"),
        ({"expect": ExpectedResponse(body=BodyCheck.contains("x" * 9000))}, "[SmokeTestSize] expect.body"),
        ({"payload": "great"}, "[WrongType] payload = 'great'"),
        ({"expect": {"status": 200}}, "[WrongType] expect"),
        ({"timeout": 600}, "[WrongType] timeout = 600"),
        ({"timeout": Duration.millis(90_500)}, "[WholeSeconds] timeout"),
        ({"target_variant": 7}, "[WrongType] target_variant = 7"),
    ],
)
def test_bad_smoke_test_options_are_problems(stack, options, fragment):
    options.setdefault("payload", SmokeTestPayload.from_json({"text": "great"}))
    expect_problems(lambda: realtime_endpoint(stack).add_smoke_test(**options), "TestStack/EndpointSmokeTest", fragment)


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("(unclosed", "a Python regular expression"),
        ("a{4294967296}", "too large"),  # OverflowError
        ("(" * 2000 + ")" * 2000, "recursion"),  # RecursionError
        ("(a+)+$", "no quantifier inside a repeated group"),
        (r"(\w*)*x", "no quantifier inside a repeated group"),
        (r"(?:a|b+){2,}", "no quantifier inside a repeated group"),
    ],
)
def test_unsafe_or_broken_regexes_are_refused(stack, pattern, fragment):
    expect = ExpectedResponse(body=BodyCheck.matches(pattern))
    expect_problems(
        lambda: realtime_endpoint(stack).add_smoke_test(payload=SmokeTestPayload.from_text("x"), expect=expect),
        "[SafeRegex] expect.body",
        fragment,
    )


@pytest.mark.parametrize("pattern", [r"positive", r"\d{3}-\d+", r"(ab)+", r"^\{.*\}$", r"(a|b)?c*"])
def test_safe_regexes_are_accepted(stack, pattern):
    expect = ExpectedResponse(body=BodyCheck.matches(pattern))
    realtime_endpoint(stack).add_smoke_test(payload=SmokeTestPayload.from_text("x"), expect=expect)


def test_media_types_with_parameters_are_accepted(stack):
    realtime_endpoint(stack).add_smoke_test(
        payload=SmokeTestPayload.from_text("a,b", content_type="text/csv; charset=utf-8"), accept="application/json"
    )


def test_the_body_checks_of_a_stack_are_bounded_together(stack):
    endpoint = realtime_endpoint(stack)
    payload = SmokeTestPayload.from_text("x")
    check = ExpectedResponse(body=BodyCheck.contains("x" * 8000))
    for _ in range(32):  # 256,000 bytes: under the stack's 256 KiB
        endpoint.add_smoke_test(payload=payload, expect=check)
    expect_problems(
        lambda: endpoint.add_smoke_test(payload=payload, expect=check),
        '[SmokeTestSize] expect.body = "8000 bytes, after 256000 bytes of this stack\'s other smoke tests"',
        "spread the smoke tests over stacks",
    )


def test_a_refused_smoke_test_leaves_no_provider_behind(stack):
    endpoint = realtime_endpoint(stack)
    expect_problems(lambda: endpoint.add_smoke_test(payload="great"), "[WrongType] payload")
    assert stack.node.try_find_child("SageMakerSmokeTestProvider") is None


def test_add_smoke_test_twice_needs_no_ids(stack):
    endpoint = realtime_endpoint(stack)
    payload = SmokeTestPayload.from_json({"text": "great"})
    ids = [endpoint.add_smoke_test(payload=payload).node.id for _ in range(3)]
    assert ids == ["EndpointSmokeTest", "EndpointSmokeTest2", "EndpointSmokeTest3"]


# Every message names a rule the project documents.


def test_messages_cite_rules_in_the_project_never_a_file_outside_it(stack):
    error = expect_problems(lambda: config_with(stack, instance_type="ml.m5.large"), "docs/rules.md")
    assert "shared/" not in str(error) and "F-1." not in str(error)


def test_warnings_cite_their_rule_id(stack):
    config_with(stack)
    [warning] = annotations(stack).find_warning("/TestStack/Config", Match.any_value())
    assert str(warning.entry.data).startswith("[SingleInstance] the endpoint runs on one instance")
    assert "cdk-sagemaker-inference:SingleInstance" in str(warning.entry.data)


def test_an_instance_type_that_is_not_a_string_is_a_validation_error():
    expect_problems(lambda: InstanceType.of(None), "InstanceType.of", "[WrongType] name = None")


def test_a_smoke_test_of_a_component_named_at_deploy_time_synthesizes(stack):
    name = CfnParameter(stack, "Component").value_as_string
    component_endpoint(stack).add_smoke_test(payload=SmokeTestPayload.from_text("x"), inference_component_name=name)
    [test] = template(stack).find_resources("Custom::SageMakerEndpointSmokeTest").values()
    assert test["Properties"]["InferenceComponentName"] == {"Ref": "Component"}


@pytest.mark.parametrize(
    ("period", "fragment"),
    [(60, "[WrongType] period = 60"), (Duration.seconds(90), "period = '90 s'"), (Duration.millis(1500), "period")],
)
def test_a_metric_period_is_a_duration_cloudwatch_takes(stack, period, fragment):
    endpoint = realtime_endpoint(stack)
    expect_problems(lambda: endpoint.metric_invocations("AllTraffic", period=period), fragment)
    endpoint.metric_invocations("AllTraffic", period=Duration.seconds(10))  # high resolution: allowed


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"sampling_percentage": None}, "data_capture.sampling_percentage = None"),
        ({"capture_input": None}, "data_capture.capture_input = None"),
        ({"enabled": "yes"}, "data_capture.enabled = 'yes'"),
        ({"json_content_types": {}}, "data_capture.json_content_types = {}"),
    ],
)
def test_data_capture_fields_of_the_wrong_type_are_validation_errors(stack, options, fragment):
    capture = DataCapture(destination=S3Location(s3.Bucket(stack, "Captures"), "captures/"), **options)
    model = ecr_model(stack)
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[variant(model)], data_capture=capture), fragment
    )


def test_validate_raises_the_checks_that_wait_for_synth_as_a_validation_error(stack):
    endpoint = realtime_endpoint(stack)
    endpoint.add_smoke_test(payload=SmokeTestPayload.from_text("x"), target_model="m.tar.gz")  # not multi-model
    caught = expect_problems(lambda: validate(stack.node.root), "[InvocationKind] target_model = 'm.tar.gz'")
    assert caught.construct_path.endswith("SmokeTest")
    expect_problems(lambda: validate(stack), "[InvocationKind]")  # the same answer again, checks run once
    assert "[InvocationKind]" in synth_errors(stack)  # synth reports it too


def test_validate_passes_a_valid_app(stack):
    realtime_endpoint(stack).add_smoke_test(payload=SmokeTestPayload.from_text("x"))
    validate(stack)
    assert template(stack).find_resources("Custom::SageMakerEndpointSmokeTest")


# Classes the public-API property test (test_public_api_fuzz.py) found; one test each.


def test_factory_functions_name_themselves_and_the_argument_of_the_wrong_type():
    error = expect_problems(lambda: ModelData.from_asset(None), "[WrongType] path = None", "a str or PathLike")
    assert error.construct_path == "ModelData.from_asset"
    expect_problems(lambda: ModelData.from_local_directory(1.5), "[WrongType] path = 1.5")
    expect_problems(lambda: ModelData.multi_model(models="a.tar.gz"), "[WrongType] models = 'a.tar.gz'")
    expect_problems(lambda: ContainerImage.from_asset("containers", build_args=["A=1"]), "build_args = ['A=1']")
    expect_problems(lambda: ContainerImage.from_asset("containers", file=math.nan), "[WrongType] file = nan")


def test_grants_given_what_is_not_an_arn_fail_before_nan_reaches_the_cdk_runtime(stack):
    model = ecr_model(stack)
    role = model.execution_role
    expect_problems(lambda: role.grant_s3_object_read(math.nan), "[WrongType] object_arn = nan", "an ARN such as")
    expect_problems(lambda: role.grant_ecr_pull("inference"), "repository_arn = 'inference': allowed: an ARN")
    expect_problems(lambda: role.grant_s3_prefix_read("bucket/prefix"), "[WrongType] location = 'bucket/prefix'")
    expect_problems(lambda: role.grant_topic_publish("arn:aws:sns:us-east-1:1:t"), "[WrongType] topic =")
    expect_problems(lambda: role.serve_endpoint(["a"]), "[WrongType] name = ['a']")
    template(stack)  # the CDK's Node.js runtime still answers


def test_a_deploy_time_string_where_a_number_belongs_is_named_as_such(stack):
    count = CfnParameter(stack, "Count").value_as_string
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(ecr_model(stack), initial_instance_count=count)]
        ),
        "initial_instance_count (InitialInstanceCount) = '<deploy-time value>'",
        "not a deploy-time string",
        "Token.as_number",
    )


def test_required_numbers_given_none_are_named_not_compared():
    stack = Stack(new_app(), "Stack")
    model = ecr_model(stack)
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[variant(model, initial_instance_count=None)]),
        "[WrongType] production_variants[0].initial_instance_count (InitialInstanceCount) = None: allowed: a value",
    )


def test_endpoint_arguments_of_the_wrong_kind(stack):
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    expect_problems(
        lambda: Endpoint(stack, "E1", endpoint_config=config, deployment="canary"),
        "[WrongType] deployment = 'canary'",
        "a BlueGreenDeployment or RollingDeployment, not a str",
    )
    endpoint = Endpoint(stack, "E2", endpoint_config=config)
    expect_problems(lambda: endpoint.metric("Invocations", "AllTraffic", statistic=5), "[WrongType] statistic = 5")
    expect_problems(lambda: endpoint.grant_invoke(math.nan), "[WrongType] grantee = nan")
    expect_problems(
        lambda: EndpointConfig(
            stack, "C2", production_variants=[variant(ecr_model(stack, "M2"))], shadow_production_variants=math.inf
        ),
        "[WrongType] shadow_production_variants = inf",
    )


def test_fix_texts_fit_the_mistake(stack):
    expect_problems(
        lambda: ecr_model(stack, "M1", environment={"A": 1}),
        "environment['A'] = 1",
        "Fix: write it as a string, e.g. '1'",
    )
    expect_problems(lambda: EndpointConfig(stack, "C", production_variants=[]), "= '0 items'", "Fix: give at least 1")
    endpoint = realtime_endpoint(Stack(new_app(), "Other"))
    expect_problems(
        lambda: endpoint.add_smoke_test(payload=SmokeTestPayload.from_json({1, 2})),
        "not JSON serializable",
        "Fix: use JSON types only",
    )


def test_an_argument_of_another_variant_kind_says_which_kind_takes_it(stack):
    from cdk_sagemaker_inference import InferenceComponentHostVariant, ServerlessProductionVariant

    model = ecr_model(stack)
    error = expect_problems(
        lambda: ServerlessProductionVariant(
            model=model, memory_size_in_mb=2048, max_concurrency=2, instance_type=InstanceType.ML_M5_LARGE
        ),
        "[WrongType] instance_type = InstanceType.of('ml.m5.large')",
        "Fix: use ProductionVariant or InferenceComponentHostVariant for instance_type",
    )
    assert error.construct_path == "ServerlessProductionVariant"
    expect_problems(
        lambda: InferenceComponentHostVariant(instance_type=InstanceType.ML_M5_LARGE, model=model),
        "[WrongType] model = ",
        "use ProductionVariant or ServerlessProductionVariant for model",
    )
    expect_problems(lambda: variant(model, colour="blue"), "colour = 'blue'", "use one of those arguments")
