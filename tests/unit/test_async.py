"""Asynchronous inference: locations, the results bucket, grants, metrics, and smoke tests from the config."""

import json

import pytest
from aws_cdk import CfnParameter, Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks

from cdk_sagemaker_inference import (
    AsyncInference,
    AsyncLocations,
    Endpoint,
    EndpointConfig,
    S3Location,
    ServerlessProductionVariant,
    SmokeTestPayload,
)
from cdk_sagemaker_inference.smoke_test import RESOURCE_TYPE
from tests.support import cfn_lint, ecr_model, expect_problems, new_stack, only_resource, template, variant


def async_endpoint(stack, async_inference=None, **variant_kwargs):
    model = ecr_model(stack)
    config = EndpointConfig(
        stack,
        "Config",
        production_variants=[variant(model, **variant_kwargs)],
        async_inference=async_inference or AsyncInference(),
    )
    return Endpoint(stack, "Endpoint", endpoint_config=config)


def model_policy(stack):
    found = template(stack).find_resources("AWS::IAM::ManagedPolicy")
    [policy] = [p for key, p in found.items() if key.startswith("ModelExecutionRole")]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def actions_on(statements, action):
    return [s for s in statements if action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]


def test_without_a_bucket_the_config_defines_an_encrypted_retained_results_bucket(stack):
    endpoint = async_endpoint(stack)
    bucket = only_resource(stack, "AWS::S3::Bucket")
    assert bucket["DeletionPolicy"] == "Retain"  # no result is lost with the stack
    properties = bucket["Properties"]
    assert (
        properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "aws:kms"
    )
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    bucket_policy = json.dumps(only_resource(stack, "AWS::S3::BucketPolicy"))
    assert "aws:SecureTransport" in bucket_policy
    output = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["AsyncInferenceConfig"]
    rendered = json.dumps(output["OutputConfig"])
    assert "/results/" in rendered and "/failures/" in rendered
    assert endpoint.endpoint_config.invocation_features.asynchronous


def test_given_locations_topics_key_and_concurrency_render_and_are_granted_exactly(stack):
    bucket = s3.Bucket(stack, "Results", encryption=s3.BucketEncryption.KMS)
    key = kms.Key(stack, "ResultsKey")
    topic_key = kms.Key(stack, "TopicKey")
    success, error = sns.Topic(stack, "Success", master_key=topic_key), sns.Topic(stack, "Error")
    async_endpoint(
        stack,
        AsyncInference(
            output=S3Location(bucket, "out/"),
            failure=S3Location(bucket, "failed/"),
            success_topic=success,
            error_topic=error,
            kms_key=key,
            max_concurrent_invocations_per_instance=4,
        ),
    )
    config = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["AsyncInferenceConfig"]
    assert config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": 4}
    assert set(config["OutputConfig"]["NotificationConfig"]) == {"SuccessTopic", "ErrorTopic"}
    assert "KmsKeyId" in config["OutputConfig"]
    template(stack).resource_count_is("AWS::S3::Bucket", 1)  # none defined: the given one is used
    statements = model_policy(stack)
    [writes] = actions_on(statements, "s3:PutObject")  # both prefixes in one statement
    assert [json.dumps(r).split('"')[-2] for r in writes["Resource"]] == ["/out/*", "/failed/*"]
    assert "s3:AbortMultipartUpload" in writes["Action"]
    assert len(actions_on(statements, "sns:Publish")[0]["Resource"]) == 2
    generate = actions_on(statements, "kms:GenerateDataKey")
    assert {json.dumps(s["Condition"]) for s in generate} >= {
        json.dumps(
            {"StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}}
        ),
        json.dumps(
            {"StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["sns.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}}
        ),
    }


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"max_concurrent_invocations_per_instance": 0}, "[Api.MaxConcurrentInvocationsPerInstance]"),
        ({"max_concurrent_invocations_per_instance": 1001}, "[Api.MaxConcurrentInvocationsPerInstance]"),
        ({"success_topic": "arn:aws:sns:us-east-1:123456789012:t"}, "[WrongType] async_inference.success_topic"),
        ({"kms_key": "alias/results"}, "[WrongType] async_inference.kms_key"),
        ({"output": "s3://bucket/results/"}, "[WrongType] async_inference.output"),
    ],
)
def test_bad_async_options_are_problems(stack, options, fragment):
    expect_problems(lambda: async_endpoint(stack, AsyncInference(**options)), "TestStack/Config", fragment)


def test_a_wildcard_prefix_is_refused(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "results-bucket")
    expect_problems(
        lambda: async_endpoint(stack, AsyncInference(output=S3Location(bucket, "out/*"))),
        "[NoWildcardKey] async_inference.output.prefix = 'out/*'",
    )


def test_a_token_concurrency_is_not_checked(stack):
    tokens = CfnParameter(stack, "Concurrency", type="Number").value_as_number
    async_endpoint(stack, AsyncInference(max_concurrent_invocations_per_instance=tokens))
    config = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["AsyncInferenceConfig"]
    assert config["ClientConfig"] == {"MaxConcurrentInvocationsPerInstance": {"Ref": "Concurrency"}}


def test_serverless_refuses_asynchronous_inference_naming_both(stack):
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[ServerlessProductionVariant(model=ecr_model(stack))],
            async_inference=AsyncInference(),
        ),
        "[ServerlessNoAsync] production_variants[0]",
        "serverless refuses AsyncInferenceConfig",
    )


def test_async_endpoints_refuse_the_metrics_they_do_not_publish_and_offer_theirs(stack):
    endpoint = async_endpoint(stack)
    for unpublished in (endpoint.metric_invocations, endpoint.metric_invocations_per_instance):
        expect_problems(lambda unpublished=unpublished: unpublished("AllTraffic"), "[PublishedMetric] metric =")
    expect_problems(lambda: endpoint.metric_overhead_latency("AllTraffic"), "for a asynchronous variant")
    assert endpoint.metric_model_latency("AllTraffic").metric_name == "ModelLatency"
    backlog = endpoint.metric_approximate_backlog_size(per_instance=True)
    assert (backlog.metric_name, backlog.statistic) == ("ApproximateBacklogSizePerInstance", "Average")
    assert stack.resolve(backlog.dimensions) == {"EndpointName": endpoint.endpoint_name}  # no VariantName
    assert endpoint.metric_has_backlog_without_capacity().statistic == "Average"
    assert endpoint.find_variant("AllTraffic").metric("TimeInBacklog", statistic="Average").metric_name


def test_a_synchronous_endpoint_has_no_backlog_metrics_and_serverless_no_cpu(stack):
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    expect_problems(lambda: endpoint.metric_approximate_backlog_size(), "[PublishedMetric]", "AsyncInference")
    serverless_config = EndpointConfig(
        stack, "Serverless", production_variants=[ServerlessProductionVariant(model=ecr_model(stack, "M2"))]
    )
    serverless = Endpoint(stack, "ServerlessEndpoint", endpoint_config=serverless_config)
    expect_problems(lambda: serverless.metric_cpu_utilization("AllTraffic"), "for a serverless variant")
    assert serverless.find_variant("AllTraffic").metric_invocations().metric_name == "Invocations"
    expect_problems(lambda: serverless.find_variant("Nope"), "[KnownVariant] variant_name = 'Nope'")


def test_the_smoke_test_of_an_async_endpoint_needs_no_locations(stack):
    endpoint = async_endpoint(stack)
    endpoint.add_smoke_test(payload=SmokeTestPayload.from_json({"text": "great"}))
    properties = only_resource(stack, RESOURCE_TYPE)["Properties"]
    assert properties["Invocation"] == "async"
    assert properties["AsyncInputPrefix"] == "smoke-test-inputs/"
    assert properties["AsyncInputBucket"] == {
        "Ref": stack.resolve(endpoint.endpoint_config.async_inference.output.bucket.node.default_child.logical_id)
    }
    reads = actions_on(model_policy(stack), "s3:GetObject")
    assert any("/smoke-test-inputs/*" in json.dumps(s["Resource"]) for s in reads)  # SageMaker reads the request


def test_an_async_smoke_test_takes_no_target(stack):
    endpoint = async_endpoint(stack)
    expect_problems(
        lambda: endpoint.add_smoke_test(payload=SmokeTestPayload.from_text("x"), target_variant="AllTraffic"),
        "[AsyncSmokeTest] target_variant",
    )


def test_an_async_stack_with_a_smoke_test_is_cdk_nag_and_cfn_lint_clean(stack):
    async_endpoint(stack, initial_instance_count=2).add_smoke_test(payload=SmokeTestPayload.from_text("x"))
    assembly_template = template(stack).to_json()
    for pack in (AwsSolutionsChecks(stack), HIPAASecurityChecks(stack), NIST80053R5Checks(stack)):
        report = pack.validate_scope(stack)
        found = [(v.rule_name, r.construct_path) for v in report.violations for r in v.violating_resources]
        assert [f for f in found if "KMSKeyConfigured" not in f[0]] == [], pack.name
    assert cfn_lint(assembly_template, regions=["us-east-1"]) == []


def test_a_variant_name_known_only_at_deploy_time_is_not_checked(stack):
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    name = CfnParameter(stack, "Variant").value_as_string
    assert stack.resolve(endpoint.metric_cpu_utilization(name).dimensions)["VariantName"] == {"Ref": "Variant"}
    assert stack.resolve(endpoint.find_variant(name).variant_name) == {"Ref": "Variant"}


def test_input_locations_are_readable_by_the_served_models_roles_and_decryptable_through_s3(stack):
    key = kms.Key(stack, "InputKey")
    requests = s3.Bucket(stack, "Requests", encryption_key=key)
    async_endpoint(stack, AsyncInference(input_locations=[S3Location(requests, "requests/")]))
    statements = model_policy(stack)
    [read] = actions_on(statements, "s3:GetObject")
    assert json.dumps(read["Resource"]).endswith('"/requests/*"]]}')
    [decrypt] = [s for s in actions_on(statements, "kms:Decrypt") if "InputKey" in json.dumps(s["Resource"])]
    assert "kms:ViaService" in json.dumps(decrypt["Condition"])


def test_input_locations_are_checked_like_the_others(stack):
    bucket = s3.Bucket(stack, "Requests")
    expect_problems(
        lambda: async_endpoint(stack, AsyncInference(input_locations=[S3Location(bucket, "in*/")])),
        "async_inference.input_locations[0].prefix",
    )
    expect_problems(
        lambda: async_endpoint(new_stack(), AsyncInference(input_locations="s3://requests/")),
        "[WrongType] async_inference.input_locations = 's3://requests/'",
    )


def test_an_async_smoke_test_bounds_the_containers_work_on_its_request(stack):
    endpoint = async_endpoint(stack)
    endpoint.add_smoke_test(
        payload=SmokeTestPayload.from_text("x"),
        async_locations=AsyncLocations(invocation_timeout=Duration.seconds(90)),
    )
    properties = only_resource(stack, RESOURCE_TYPE)["Properties"]
    assert properties["InvocationTimeoutSeconds"] == "90"
    assert properties["AsyncInputPrefix"] == "smoke-test-inputs/"  # the config still fills the locations


@pytest.mark.parametrize(
    ("seconds", "fragment"),
    [
        (0, "async_locations.invocation_timeout (InvocationTimeoutSeconds) = 0"),
        (900, "async_locations.invocation_timeout = '900 seconds': allowed: at most the test's timeout (600 s)"),
    ],
)
def test_an_invocation_timeout_beyond_the_api_or_the_test_is_refused(stack, seconds, fragment):
    endpoint = async_endpoint(stack)
    expect_problems(
        lambda: endpoint.add_smoke_test(
            payload=SmokeTestPayload.from_text("x"),
            async_locations=AsyncLocations(invocation_timeout=Duration.seconds(seconds)),
        ),
        fragment,
    )
