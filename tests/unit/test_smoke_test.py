"""The smoke-test construct: one provider per stack, its properties, permissions, validation and cdk-nag."""

import json
from pathlib import Path

import pytest
from aws_cdk import CfnParameter, Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks

from cdk_sagemaker_inference import (
    AsyncLocations,
    BodyCheck,
    Endpoint,
    EndpointConfig,
    EndpointSmokeTest,
    ExpectedResponse,
    InstanceType,
    S3Location,
    SmokeTestPayload,
    SmokeTestProvider,
)
from cdk_sagemaker_inference.handler_assets import handler_directory
from cdk_sagemaker_inference.smoke_test import RESOURCE_TYPE
from tests.support import (
    ecr_model,
    expect_problems,
    nag_findings,
    new_stack,
    only_resource,
    realtime_endpoint,
    synth_errors,
    template,
    variant,
)

GREAT = SmokeTestPayload.from_json({"text": "great"})


def smoke_tests(stack):
    return template(stack).find_resources(RESOURCE_TYPE)


def only_smoke_test(stack):
    return only_resource(stack, RESOURCE_TYPE)


def handler_policy(stack):
    policy = SmokeTestProvider.of(stack).policy.policy
    rendered = template(stack).to_json()["Resources"][stack.resolve(policy.logical_id)]  # set at synth
    return rendered["Properties"]["PolicyDocument"]["Statement"]


def test_several_smoke_tests_share_one_provider(stack):
    first = realtime_endpoint(stack)
    second = Endpoint(stack, "Second", endpoint_config=first.endpoint_config)
    tests = [
        first.add_smoke_test("A", payload=GREAT),
        first.add_smoke_test("B", payload=GREAT),
        second.add_smoke_test(payload=GREAT),
    ]
    assert len({test.provider for test in tests}) == 1
    assert len(smoke_tests(stack)) == 3
    resources = template(stack)
    resources.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    resources.resource_count_is("AWS::Lambda::Function", 5)  # on_event, is_complete + the framework's 3


def test_properties_carry_the_config_revision_and_wait_for_the_endpoint(stack):
    endpoint = realtime_endpoint(stack)
    test = endpoint.add_smoke_test(
        payload=GREAT, expect=ExpectedResponse(body=BodyCheck.json_subset({"label": "positive"}))
    )
    resource = only_smoke_test(stack)
    config_id = stack.get_logical_id(endpoint.endpoint_config.resource)
    endpoint_id = stack.get_logical_id(endpoint.resource)
    assert stack.resolve(resource["Properties"]) | {"ServiceToken": None} == {
        "ServiceToken": None,
        "ServiceTimeout": "3300",
        "EndpointName": endpoint.endpoint_name,
        "ExpectedEndpointConfigName": {"Fn::GetAtt": [stack.resolve(config_id), "EndpointConfigName"]},
        "Invocation": "sync",
        "PayloadBucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
        "PayloadKey": stack.resolve(test.payload_asset.s3_object_key),
        "ContentType": "application/json",
        "ExpectedStatus": "200",
        "BodyCheck": "json",
        "BodyValue": '{"label":"positive"}',
        "TimeoutSeconds": "600",
    }
    assert stack.resolve(endpoint_id) in resource["DependsOn"]


@pytest.mark.parametrize("instance_type", ["ml.m5.large", "ml.c5.large"])
def test_the_config_revision_is_the_name_of_the_config_in_service_now(instance_type):
    """Config properties are create-only: a change replaces the config, whose new name reaches the test."""
    stack = new_stack()
    endpoint = realtime_endpoint(stack, instance_type=InstanceType.of(instance_type))
    endpoint.add_smoke_test(payload=GREAT)
    resources = template(stack).to_json()["Resources"]
    [(config_id, config)] = [(k, r) for k, r in resources.items() if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    assert config["Properties"]["ProductionVariants"][0]["InstanceType"] == instance_type
    assert "EndpointConfigName" not in config["Properties"]  # no fixed name: CloudFormation names each one
    revision = only_smoke_test(stack)["Properties"]["ExpectedEndpointConfigName"]
    assert revision == {"Fn::GetAtt": [config_id, "EndpointConfigName"]}


def test_the_payload_can_come_from_a_file(stack, tmp_path):
    sample = tmp_path / "request.csv"
    sample.write_bytes(b"5.1,3.5,1.4,0.2\n")
    test = realtime_endpoint(stack).add_smoke_test(payload=SmokeTestPayload.from_file(sample, "text/csv"))
    properties = only_smoke_test(stack)["Properties"]
    staged = Path(stack.node.root.outdir) / test.payload_asset.asset_path
    assert staged.read_bytes() == b"5.1,3.5,1.4,0.2\n"
    assert properties["PayloadKey"] == stack.resolve(test.payload_asset.s3_object_key)
    assert properties["ContentType"] == "text/csv"


def test_the_payload_stays_out_of_the_template_and_the_handler_may_read_exactly_it(stack):
    test = realtime_endpoint(stack).add_smoke_test(payload=SmokeTestPayload.from_text("a very particular payload"))
    assert "particular" not in json.dumps(template(stack).to_json())
    reads = [s for s in handler_policy(stack) if s["Action"] == "s3:GetObject"]
    assert json.dumps(reads) == json.dumps(
        [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": stack.resolve(test.payload_asset.bucket.arn_for_objects(test.payload_asset.s3_object_key)),
            }
        ]
    )


def test_the_handler_may_invoke_and_describe_only_this_endpoint(stack):
    endpoint = realtime_endpoint(stack)
    endpoint.add_smoke_test(payload=GREAT)
    statements = handler_policy(stack)
    sagemaker = [s for s in statements if any(a.startswith("sagemaker:") for a in json.dumps(s["Action"]).split('"'))]
    assert sagemaker == [
        {
            "Effect": "Allow",
            "Action": ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"],
            "Resource": stack.resolve(endpoint.endpoint_arn),
        }
    ]
    assert {"Effect": "Allow", "Action": "cloudformation:DescribeStacks", "Resource": {"Ref": "AWS::StackId"}} in (
        statements
    )


def test_an_imported_endpoint_is_tested_without_a_config_check(stack):
    imported = Endpoint.from_endpoint_name(stack, "Imported", "team-endpoint")
    imported.add_smoke_test(payload=GREAT)
    resource = only_smoke_test(stack)
    assert "ExpectedEndpointConfigName" not in resource["Properties"]
    assert resource["Properties"]["EndpointName"] == "team-endpoint"


def async_test(stack, **kwargs):
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Async", encryption_key=key)
    kwargs.setdefault(
        "async_locations",
        AsyncLocations(
            input=S3Location(bucket, "smoke-in/"),
            output=S3Location(bucket, "out/"),
            failure=S3Location(bucket, "failed/"),
        ),
    )
    imported = Endpoint.from_endpoint_name(stack, "AsyncEndpoint", "async-endpoint")
    return imported.add_smoke_test(payload=GREAT, **kwargs)


def test_async_grants_exactly_its_prefixes(stack):
    async_test(stack, expect=ExpectedResponse(body=BodyCheck.contains("positive")))
    properties = only_smoke_test(stack)["Properties"]
    assert properties["Invocation"] == "async"
    assert properties["AsyncInputPrefix"] == "smoke-in/"
    rendered = json.dumps(handler_policy(stack))
    for prefix in ("smoke-in/*", "out/*", "failed/*"):
        assert rendered.count(f'"/{prefix}"') == 1
    assert "sagemaker:InvokeEndpointAsync" in rendered
    assert '"s3:prefix": ["out/*"]' in rendered
    assert "kms:GenerateDataKey" in rendered


def test_cdk_nag_finds_nothing_unacknowledged_on_the_smoke_test_parts(stack):
    realtime_endpoint(stack).add_smoke_test(payload=GREAT)
    async_test(stack)
    findings = nag_findings(stack)
    parts = ("SageMakerSmokeTestProvider", "SmokeTest")
    assert [finding for finding in findings if any(part in finding[1] for part in parts)] == []
    assert findings  # the pack runs: the bare test config and bucket still draw findings of their own


def test_an_unforced_wildcard_on_the_handler_policy_is_still_reported(stack):
    realtime_endpoint(stack).add_smoke_test(payload=GREAT)
    SmokeTestProvider.of(stack).policy.allow(["sagemaker:InvokeEndpoint"], ["*"])
    template(stack)  # the policy document is set when the app synthesizes, as before a cdk-nag plugin runs
    report = AwsSolutionsChecks(stack).validate_scope(stack)
    rules = [(v.rule_name, r.construct_path) for v in report.violations for r in v.violating_resources]
    assert ("AwsSolutions-IAM5[Resource::*]", "TestStack/SageMakerSmokeTestProvider/HandlerPolicy") in rules


def test_the_handler_asset_is_the_lambda_folder_without_bytecode(stack):
    realtime_endpoint(stack).add_smoke_test(payload=GREAT)
    assembly = stack.node.scope.synth()
    function = next(
        r
        for r in template(stack).find_resources("AWS::Lambda::Function").values()
        if r["Properties"].get("Handler") == "handler.is_complete"
    )
    asset_hash = stack.resolve(function["Properties"]["Code"]["S3Key"]).removesuffix(".zip")
    asset = Path(assembly.directory) / f"asset.{asset_hash}"
    assert sorted(path.name for path in asset.iterdir()) == ["checks.py", "handler.py"]
    assert Path(handler_directory("smoke_test")).resolve() == (Path(__file__).parents[2] / "lambda" / "smoke_test")
    assert function["Properties"]["Runtime"] == "python3.14"
    assert function["Properties"]["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": {
            "Ref": next(key for key in template(stack).find_resources("AWS::Logs::LogGroup") if "HandlerLogs" in key)
        },
    }


def test_log_groups_keep_logs_one_month_and_the_state_machine_logs_all_events(stack):
    realtime_endpoint(stack).add_smoke_test(payload=GREAT)
    groups = template(stack).find_resources("AWS::Logs::LogGroup").values()
    assert [group["Properties"]["RetentionInDays"] for group in groups] == [30, 30]
    machine = only_resource(stack, "AWS::StepFunctions::StateMachine")["Properties"]
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        ({"timeout": Duration.seconds(30)}, ["timeout = '30 seconds'", "whole seconds from 60 to 2700"]),
        ({"timeout": Duration.hours(2)}, ["timeout = '7200 seconds'", "Fix: give e.g. Duration.minutes(10)"]),
        ({"timeout": Duration.millis(90_500)}, ["timeout = '90.5 seconds'"]),
        (
            {"target_variant": "-bad-"},
            ["target_variant (TargetVariant) = '-bad-'", "TargetVariantHeader of sagemaker-runtime"],
        ),
        ({"accept": "text/\u00e9"}, ["accept = 'text/\u00e9'", "Header of sagemaker-runtime"]),
        (
            {"expect": ExpectedResponse(status=99)},
            ["[HttpStatus] expect.status = 99: allowed: an integer HTTP status from 100 to 599"],
        ),
        ({"expect": ExpectedResponse(body=BodyCheck.matches("(unclosed"))}, ["a Python regular expression"]),
        (
            {"payload": SmokeTestPayload.from_bytes(b"x" * 6_291_457)},
            ["payload = '6291457 bytes'", "at most 6291456 bytes (InvokeEndpoint's body limit"],
        ),
    ],
)
def test_bad_options_are_synth_errors_that_name_the_fix(stack, options, fragments):
    endpoint = realtime_endpoint(stack)
    options.setdefault("payload", GREAT)
    expect_problems(lambda: endpoint.add_smoke_test(**options), "TestStack/EndpointSmokeTest", "Fix:", *fragments)


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        ({"target_model": "a.tar.gz"}, ["target_model = 'a.tar.gz': allowed: only on a multi-model endpoint"]),
        ({"inference_component_name": "ic"}, ["only on an inference-component endpoint"]),
        ({"target_container_hostname": "c1"}, ["only on a Direct multi-container endpoint"]),
        ({"target_variant": "Shadow"}, ["target_variant = 'Shadow'", "one of the endpoint's variants: ['AllTraffic']"]),
    ],
)
def test_options_that_do_not_fit_the_variants_fail_the_synth_naming_the_fix(stack, options, fragments):
    # Checked when the app synthesizes, after every add_*(): the variants may still grow until then.
    realtime_endpoint(stack).add_smoke_test(payload=GREAT, **options)
    with pytest.raises(RuntimeError) as caught:
        template(stack)
    for fragment in ["TestStack/EndpointSmokeTest: 1 invalid property", "Fix:", *fragments]:
        assert fragment in str(caught.value)


def test_a_negative_timeout_is_refused_before_the_construct_sees_it():
    with pytest.raises(Exception, match="cannot be negative"):
        Duration.seconds(-5)


def test_async_options_are_checked_against_the_endpoint(stack):
    realtime = realtime_endpoint(stack)
    bucket = s3.Bucket(stack, "Bucket")
    locations = AsyncLocations(input=S3Location(bucket))
    expect_problems(
        lambda: realtime.add_smoke_test(payload=GREAT, async_locations=locations),
        "async_locations = 'given': allowed: only for an endpoint whose config has asynchronous inference",
        "Fix: drop async_locations",
    )


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (
            {"expect": ExpectedResponse(body=BodyCheck.contains("positive"))},
            ["a body or content-type check only with async_locations.output", "Fix: give AsyncLocations(output="],
        ),
        ({"expect": ExpectedResponse(status=202)}, ["expect.status = 202", "200 for an asynchronous test"]),
        ({"target_variant": "Primary"}, ["no target with async_locations: InvokeEndpointAsync takes none"]),
    ],
)
def test_async_without_an_output_location_cannot_check_the_answer(stack, options, fragments):
    bucket = s3.Bucket(stack, "Bucket")
    imported = Endpoint.from_endpoint_name(stack, "Imported", "async-endpoint")
    locations = AsyncLocations(input=S3Location(bucket, "in/"))
    expect_problems(lambda: imported.add_smoke_test(payload=GREAT, async_locations=locations, **options), *fragments)


def test_tokens_are_not_validated(stack):
    endpoint = realtime_endpoint(stack)
    variant_name = CfnParameter(stack, "Variant").value_as_string
    seconds = CfnParameter(stack, "Seconds", type="Number").value_as_number
    test = endpoint.add_smoke_test(payload=GREAT, target_variant=variant_name, timeout=Duration.seconds(seconds))
    assert isinstance(test, EndpointSmokeTest)
    assert stack.resolve(only_smoke_test(stack)["Properties"]["TargetVariant"]) == {"Ref": "Variant"}


def test_a_variant_added_after_the_smoke_test_can_be_targeted(stack):
    model = ecr_model(stack)
    config = EndpointConfig(stack, "Config", production_variants=[variant(model)])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    test = endpoint.add_smoke_test(payload=GREAT, target_variant="Late")
    config.add_production_variant(variant(model, variant_name="Late"))
    assert test.targets == {"target_variant": "Late"}
    assert only_smoke_test(stack)["Properties"]["TargetVariant"] == "Late"  # synthesizes


def test_the_test_sits_beside_the_endpoint_so_dependents_do_not_wait_for_it(stack):
    endpoint = realtime_endpoint(stack)
    test = endpoint.add_smoke_test(payload=GREAT)
    assert test.node.scope is endpoint.node.scope
    dependent = sns.Topic(stack, "Dependent")
    dependent.node.add_dependency(endpoint)
    depends_on = only_resource(stack, "AWS::SNS::Topic").get("DependsOn", [])
    assert stack.resolve(endpoint.resource.logical_id) in depends_on
    assert stack.resolve(test.resource.node.default_child.logical_id) not in depends_on


def test_a_test_may_wait_for_what_depends_on_the_endpoint_without_a_cycle(stack):
    endpoint = realtime_endpoint(stack)
    alarm = endpoint.metric_invocation_5xx_errors("AllTraffic").create_alarm(
        stack, "Errors", threshold=1, evaluation_periods=1
    )
    alarm.node.add_dependency(endpoint)
    test = endpoint.add_smoke_test(payload=GREAT)
    test.node.add_dependency(alarm)
    resource = only_smoke_test(stack)  # synthesizes: CloudFormation would refuse a cycle
    assert stack.resolve(alarm.node.default_child.logical_id) in resource["DependsOn"]


def async_endpoint_scaling_from(stack, minimum):
    from cdk_sagemaker_inference import AsyncInference

    config = EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack))], async_inference=AsyncInference()
    )
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    count = endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=minimum, max_capacity=2)
    count.scale_on_backlog("Backlog", backlog_per_instance=5)
    if minimum == 0:
        count.scale_out_from_zero("FromZero")
    return endpoint


def test_a_test_of_an_endpoint_that_may_be_at_zero_needs_time_to_scale_out(stack):
    async_endpoint_scaling_from(stack, 0).add_smoke_test(payload=GREAT)  # the default timeout: 10 minutes
    message = synth_errors(stack)
    assert "[SmokeTestTimeout] timeout = '600 s': allowed: at least 900 s for a target that may have scaled" in message


def test_a_test_of_an_endpoint_that_may_be_at_zero_waits_out_no_capacity(stack):
    async_endpoint_scaling_from(stack, 0).add_smoke_test(payload=GREAT, timeout=Duration.minutes(20))
    assert only_smoke_test(stack)["Properties"]["MayBeAtZero"] == "true"


def test_a_test_of_an_endpoint_that_keeps_an_instance_does_not(stack):
    async_endpoint_scaling_from(stack, 1).add_smoke_test(payload=GREAT)
    realtime_endpoint(new_stack()).add_smoke_test(payload=GREAT)
    assert "MayBeAtZero" not in only_smoke_test(stack)["Properties"]


def test_a_component_whose_copies_may_reach_zero_is_waited_for(stack):
    from tests.support import inference_component

    component = inference_component(stack)
    component.auto_scale_copy_count(min_capacity=0, max_capacity=2).scale_out_from_zero("FromZero")
    component.endpoint.add_smoke_test(payload=GREAT, inference_component=component, timeout=Duration.minutes(15))
    assert only_smoke_test(stack)["Properties"]["MayBeAtZero"] == "true"
