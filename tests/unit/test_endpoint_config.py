"""Real-time endpoint configs: variants, weights, instances, volumes, timeouts, KMS and their rules."""

import json

import pytest
from aws_cdk import Duration, Token
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import EndpointConfig, InstanceType, api_model
from tests.support import cfn_lint, ecr_model, expect_problems, only_resource, template, variant


def config_properties(stack):
    return stack.resolve(only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"])


def test_variant_defaults_are_rendered(stack):
    model = ecr_model(stack)
    EndpointConfig(stack, "Config", production_variants=[variant(model)])
    [rendered] = config_properties(stack)["ProductionVariants"]
    assert rendered == {
        "VariantName": "AllTraffic",
        "ModelName": stack.resolve(model.model_name),
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
        "InitialVariantWeight": 1,
    }


def test_config_has_no_physical_name_and_no_key_by_default(stack):
    EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    assert set(config_properties(stack)) == {"ProductionVariants"}


def test_large_model_settings_and_volume_key(stack):
    key = kms.Key(stack, "Key")
    EndpointConfig(
        stack,
        "Config",
        kms_key=key,
        production_variants=[
            variant(
                ecr_model(stack),
                instance_type=InstanceType.ML_G5_2XLARGE,
                volume_size_in_gb=256,
                model_data_download_timeout=Duration.minutes(30),
                container_startup_health_check_timeout=Duration.seconds(1800),
                inference_ami_version="al2-ami-sagemaker-inference-gpu-2",
            )
        ],
    )
    properties = config_properties(stack)
    assert properties["KmsKeyId"] == {"Fn::GetAtt": ["Key961B73FD", "Arn"]}
    [rendered] = properties["ProductionVariants"]
    assert rendered["VolumeSizeInGB"] == 256
    assert rendered["ModelDataDownloadTimeoutInSeconds"] == 1800
    assert rendered["ContainerStartupHealthCheckTimeoutInSeconds"] == 1800
    assert rendered["InferenceAmiVersion"] == "al2-ami-sagemaker-inference-gpu-2"


def test_multi_variant_weights_including_zero(stack):
    model = ecr_model(stack)
    EndpointConfig(
        stack,
        "Config",
        production_variants=[
            variant(model, variant_name="Blue", initial_variant_weight=0),
            variant(model, variant_name="Green", initial_variant_weight=1, initial_instance_count=2),
        ],
    )
    rendered = config_properties(stack)["ProductionVariants"]
    assert [(v["VariantName"], v["InitialVariantWeight"], v["InitialInstanceCount"]) for v in rendered] == [
        ("Blue", 0, 1),
        ("Green", 1, 2),
    ]


def test_variants_added_after_construction_are_rendered(stack):
    model = ecr_model(stack)
    config = EndpointConfig(stack, "Config", production_variants=[variant(model, variant_name="A")])
    config.add_production_variant(variant(model, variant_name="B"))
    assert [v["VariantName"] for v in config_properties(stack)["ProductionVariants"]] == ["A", "B"]
    assert [v.variant_name for v in config.production_variants] == ["A", "B"]


# One case per rule: (variant field, invalid literal, message fragment).
VARIANT_RULES = [
    ("variant_name", "bad_name", "production_variants[0].variant_name (VariantName) = 'bad_name'"),
    (
        "instance_type",
        InstanceType.of("ml.m5.huge"),
        "production_variants[0].instance_type (InstanceType) = 'ml.m5.huge'",
    ),
    ("initial_instance_count", 0, "initial_instance_count (InitialInstanceCount) = 0: allowed: an integer at least 1"),
    ("initial_variant_weight", -1, "initial_variant_weight (InitialVariantWeight) = -1: allowed: a number at least 0"),
    ("volume_size_in_gb", 513, "volume_size_in_gb (VolumeSizeInGB) = 513: allowed: an integer from 1 to 512"),
    (
        "model_data_download_timeout",
        Duration.hours(2),
        "model_data_download_timeout (ModelDataDownloadTimeoutInSeconds) = 7200",
    ),
    (
        "container_startup_health_check_timeout",
        Duration.seconds(30),
        "container_startup_health_check_timeout (ContainerStartupHealthCheckTimeoutInSeconds) = 30",
    ),
    ("inference_ami_version", "al2-gpu-9", "inference_ami_version (InferenceAmiVersion) = 'al2-gpu-9'"),
]

VARIANT_TOKENS = {
    "variant_name": Token.as_string({"Ref": "VariantName"}),
    "instance_type": InstanceType.of(Token.as_string({"Ref": "InstanceType"})),
    "initial_instance_count": Token.as_number({"Ref": "Count"}),
    "initial_variant_weight": Token.as_number({"Ref": "Weight"}),
    "volume_size_in_gb": Token.as_number({"Ref": "Volume"}),
    "model_data_download_timeout": Duration.seconds(Token.as_number({"Ref": "Download"})),
    "container_startup_health_check_timeout": Duration.seconds(Token.as_number({"Ref": "Startup"})),
    "inference_ami_version": Token.as_string({"Ref": "Ami"}),
}


@pytest.mark.parametrize(("field", "value", "fragment"), VARIANT_RULES, ids=[rule[0] for rule in VARIANT_RULES])
def test_each_variant_rule_rejects_a_bad_literal_naming_path_and_fix(stack, field, value, fragment):
    error = expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), **{field: value})]),
        "TestStack/Config: 1 invalid property",
        fragment,
        "Fix: ",
    )
    assert "botocore" in str(error)


RENDERED_AS = {
    "variant_name": ("VariantName", "VariantName"),
    "instance_type": ("InstanceType", "InstanceType"),
    "initial_instance_count": ("InitialInstanceCount", "Count"),
    "initial_variant_weight": ("InitialVariantWeight", "Weight"),
    "volume_size_in_gb": ("VolumeSizeInGB", "Volume"),
    "model_data_download_timeout": ("ModelDataDownloadTimeoutInSeconds", "Download"),
    "container_startup_health_check_timeout": ("ContainerStartupHealthCheckTimeoutInSeconds", "Startup"),
    "inference_ami_version": ("InferenceAmiVersion", "Ami"),
}


@pytest.mark.parametrize("field", list(VARIANT_TOKENS))
def test_each_variant_rule_skips_a_token_and_renders_it(stack, field):
    EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), **{field: VARIANT_TOKENS[field]})])
    [rendered] = config_properties(stack)["ProductionVariants"]
    cfn_property, parameter = RENDERED_AS[field]
    assert rendered[cfn_property] == {"Ref": parameter}


def test_a_value_of_the_wrong_type_is_a_problem_not_a_crash(stack):
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(ecr_model(stack), volume_size_in_gb="64")]
        ),
        "volume_size_in_gb (VolumeSizeInGB) = '64': allowed: a number",
    )


def test_rules_cover_every_token_case():
    assert {rule[0] for rule in VARIANT_RULES} == set(VARIANT_TOKENS) == set(RENDERED_AS)


def test_variant_names_must_be_unique(stack):
    model = ecr_model(stack)
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(model, variant_name="A"), variant(model, variant_name="A")]
        ),
        "production_variants[*].variant_name = ['A']: allowed: unique names",
    )


def test_token_variant_names_are_not_compared(stack):
    model = ecr_model(stack)
    name = Token.as_string({"Ref": "Name"})
    EndpointConfig(
        stack, "Config", production_variants=[variant(model, variant_name=name), variant(model, variant_name=name)]
    )


def test_one_to_ten_variants(stack):
    model = ecr_model(stack)
    limit = int(api_model.member("CreateEndpointConfigInput", "ProductionVariants").max)
    assert limit == 10
    expect_problems(lambda: EndpointConfig(stack, "None", production_variants=[]), "'0 items': allowed: from 1 to 10")
    config = EndpointConfig(
        stack, "Ten", production_variants=[variant(model, variant_name=f"V{i}") for i in range(limit)]
    )
    expect_problems(lambda: config.add_production_variant(variant(model, variant_name="V10")), "'11 items'")
    assert len(config.production_variants) == limit  # a refused add leaves the config unchanged


def test_all_variant_problems_come_in_one_error(stack):
    model = ecr_model(stack)
    error = expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[
                variant(model, variant_name="ok", initial_instance_count=0),
                variant(model, variant_name="ok", volume_size_in_gb=0),
            ],
        ),
        "3 invalid properties",
    )
    assert [p.prop for p in error.problems] == [
        "production_variants[0].initial_instance_count",
        "production_variants[1].volume_size_in_gb",
        "production_variants[*].variant_name",
    ]


def test_instance_type_constants_are_all_valid_hosting_types():
    valid = set(api_model.shape("ProductionVariantInstanceType").enum)
    constants = [value for name, value in vars(InstanceType).items() if name.startswith("ML_")]
    assert len(constants) >= 10
    assert {str(constant) for constant in constants} <= valid


def warnings(stack):
    return Annotations.from_stack(stack)


def test_single_instance_endpoint_warns(stack):
    EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    warnings(stack).has_warning("/TestStack/Config", Match.string_like_regexp("one instance.*SingleInstance"))


def test_two_instances_do_not_warn(stack):
    EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), initial_instance_count=2)])
    warnings(stack).has_no_warning("*", Match.any_value())


def test_warnings_reflect_variants_added_later(stack):
    model = ecr_model(stack)
    config = EndpointConfig(stack, "Config", production_variants=[variant(model, variant_name="A")])
    config.add_production_variant(variant(model, variant_name="B"))
    warnings(stack).has_no_warning("/TestStack/Config", Match.string_like_regexp("SingleInstance"))


def test_all_zero_weights_warn(stack):
    model = ecr_model(stack)
    EndpointConfig(
        stack, "Config", production_variants=[variant(model, initial_variant_weight=0, initial_instance_count=2)]
    )
    warnings(stack).has_warning("/TestStack/Config", Match.string_like_regexp("routes no traffic"))


def test_models_with_different_network_isolation_warn(stack):
    EndpointConfig(
        stack,
        "Config",
        production_variants=[
            variant(ecr_model(stack, "Open"), variant_name="A"),
            variant(ecr_model(stack, "Closed", network_isolation=True), variant_name="B"),
        ],
    )
    warnings(stack).has_warning("/TestStack/Config", Match.string_like_regexp("MixedModelNetworks"))


@pytest.mark.parametrize("instance_type", ["ml.m5d.large", "ml.g4dn.xlarge", "ml.g5.2xlarge", "ml.p4d.24xlarge"])
def test_ebs_settings_on_local_storage_instances_warn_f_1_18(stack, instance_type):
    EndpointConfig(
        stack,
        "Config",
        production_variants=[
            variant(
                ecr_model(stack),
                instance_type=InstanceType.of(instance_type),
                volume_size_in_gb=64,
                initial_instance_count=2,
            )
        ],
    )
    warnings(stack).has_warning(
        "/TestStack/Config", Match.string_like_regexp(f"{instance_type} has local NVMe storage.*volume_size_in_gb")
    )


def test_volume_key_on_local_storage_instances_warns(stack):
    EndpointConfig(
        stack,
        "Config",
        kms_key=kms.Key(stack, "Key"),
        production_variants=[
            variant(ecr_model(stack), instance_type=InstanceType.ML_G5_XLARGE, initial_instance_count=2)
        ],
    )
    warnings(stack).has_warning("/TestStack/Config", Match.string_like_regexp("kms_key do not apply"))


def test_ebs_settings_on_ebs_instances_and_token_types_do_not_warn(stack):
    key = kms.Key(stack, "Key")
    model = ecr_model(stack)
    EndpointConfig(
        stack,
        "Config",
        kms_key=key,
        production_variants=[
            variant(model, variant_name="Ebs", volume_size_in_gb=64, initial_instance_count=2),
            variant(model, variant_name="Token", instance_type=VARIANT_TOKENS["instance_type"], volume_size_in_gb=64),
        ],
    )
    warnings(stack).has_no_warning("/TestStack/Config", Match.string_like_regexp("LocalInstanceStorage"))


def test_config_name_and_arn_reference_the_resource(stack):
    config = EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack))])
    logical_id = stack.get_logical_id(config.resource)
    assert stack.resolve(config.endpoint_config_arn) == {"Ref": logical_id}
    assert stack.resolve(config.endpoint_config_name) == {"Fn::GetAtt": [logical_id, "EndpointConfigName"]}


def test_ssm_access_renders_grants_the_channels_and_warns_that_it_is_for_development(stack):
    model = ecr_model(stack)
    EndpointConfig(
        stack, "Config", production_variants=[variant(model, initial_instance_count=2, enable_ssm_access=True)]
    )
    config = only_resource(stack, "AWS::SageMaker::EndpointConfig")
    assert config["Properties"]["ProductionVariants"][0]["EnableSSMAccess"] is True
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []  # the schema knows EnableSSMAccess
    policy = only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    [ssm] = [statement for statement in policy if "ssmmessages:OpenDataChannel" in statement["Action"]]
    assert sorted(ssm["Action"]) == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("SsmAccess"))
    assert len(warnings) == 1 and "allow-listed" in warnings[0].entry.data


def test_ssm_access_is_off_by_default_and_absent_from_the_template(stack):
    EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), initial_instance_count=2)])
    assert (
        "EnableSSMAccess"
        not in only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"][0]
    )
    policy = json.dumps(only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"])
    assert "ssmmessages" not in policy


def test_ssm_access_with_network_isolation_is_refused(stack):
    isolated = ecr_model(stack, network_isolation=True)
    expect_problems(
        lambda: EndpointConfig(stack, "Config", production_variants=[variant(isolated, enable_ssm_access=True)]),
        "[SsmNoNetworkIsolation] production_variants[0].enable_ssm_access = True",
        "turn network isolation off",
    )
    plain = ecr_model(stack, "Plain")
    expect_problems(
        lambda: EndpointConfig(stack, "C2", production_variants=[variant(plain, enable_ssm_access="yes")]),
        "[WrongType] production_variants[0].enable_ssm_access = 'yes'",
    )


def test_core_dumps_and_the_provision_timeout_render_and_the_role_may_write_the_dumps(stack):
    from aws_cdk import aws_s3 as s3

    from cdk_sagemaker_inference import CoreDump, S3Location

    bucket = s3.Bucket.from_bucket_name(stack, "Dumps", "dump-bucket")
    key = kms.Key.from_key_arn(stack, "DumpKey", "arn:aws:kms:us-east-1:123456789012:key/1234")
    dumps = CoreDump(destination=S3Location(bucket, "dumps/"), kms_key=key)
    model = ecr_model(stack)
    EndpointConfig(
        stack,
        "Config",
        production_variants=[
            variant(model, initial_instance_count=2, core_dump=dumps, instance_provision_timeout=Duration.minutes(20))
        ],
    )
    rendered = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"][0]
    assert rendered["CoreDumpConfig"] == {
        "DestinationS3Uri": "s3://dump-bucket/dumps/",
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234",
    }
    assert rendered["VariantInstanceProvisionTimeoutInSeconds"] == 1200
    policy = json.dumps(only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"])
    assert "s3:PutObject" in policy and "dump-bucket/dumps/*" in policy
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []


def test_a_provision_timeout_outside_5_to_60_minutes_is_refused(stack):
    model = ecr_model(stack)
    expect_problems(
        lambda: EndpointConfig(
            stack, "Config", production_variants=[variant(model, instance_provision_timeout=Duration.minutes(4))]
        ),
        "instance_provision_timeout (VariantInstanceProvisionTimeoutInSeconds) = 240",
        "from 300 to 3600",
    )


def test_a_capacity_reservation_launches_only_into_it(stack):
    arn = "arn:aws:sagemaker:us-east-1:123456789012:training-plan/abc123"
    EndpointConfig(stack, "Config", production_variants=[variant(ecr_model(stack), capacity_reservation_arn=arn)])
    rendered = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"][0]
    assert rendered["CapacityReservationConfig"] == {
        "MlReservationArn": arn,
        "CapacityReservationPreference": "capacity-reservations-only",
    }
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []
    expect_problems(
        lambda: EndpointConfig(
            stack, "Bad", production_variants=[variant(ecr_model(stack, "M2"), capacity_reservation_arn="abc")]
        ),
        "[Api.MlReservationArn] production_variants[0].capacity_reservation_arn (MlReservationArn) = 'abc'",
    )


def test_extra_metrics_render_as_metrics_config(stack):
    from cdk_sagemaker_inference import EndpointMetrics

    metrics = EndpointMetrics(enhanced=True, publish_frequency=Duration.seconds(30))
    EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack), initial_instance_count=2)], metrics=metrics
    )
    config = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]
    assert config["MetricsConfig"] == {"EnableEnhancedMetrics": True, "MetricPublishFrequencyInSeconds": 30}
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []


def test_publish_frequencies_are_cloudformations_and_others_are_refused(stack):
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    from cdk_sagemaker_inference import EndpointMetrics
    from cdk_sagemaker_inference.endpoint_metrics import PUBLISH_FREQUENCIES

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SageMaker::EndpointConfig").schema
    frequency = schema["definitions"]["MetricsConfig"]["properties"]["MetricPublishFrequencyInSeconds"]
    assert tuple(frequency["enum"]) == PUBLISH_FREQUENCIES
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[variant(ecr_model(stack))],
            metrics=EndpointMetrics(publish_frequency=Duration.seconds(45)),
        ),
        "[MetricPublishFrequency] metrics.publish_frequency (MetricPublishFrequencyInSeconds) = '45 seconds'",
    )


@pytest.mark.parametrize(("strategy", "findings"), [("IDLE_RELEASE", 0), ("RELEASE_ALL", 1)])
def test_an_escape_hatch_override_is_linted_against_the_schema(stack, strategy, findings):
    from cdk_sagemaker_inference import InferenceComponentHostVariant, ManagedInstanceScaling

    host = InferenceComponentHostVariant(
        instance_type=InstanceType.of("ml.g5.2xlarge"),
        managed_instance_scaling=ManagedInstanceScaling(min_instance_count=1, max_instance_count=4),
    )
    config = EndpointConfig(stack, "Config", production_variants=[host])
    config.resource.add_property_override(
        "ProductionVariants.0.ManagedInstanceScaling.ScaleInPolicy", {"Strategy": strategy, "CooldownInMinutes": 30}
    )
    found = cfn_lint(template(stack).to_json(), ["us-east-1"])
    assert len(found) == findings and all("RELEASE_ALL" in finding for finding in found)
