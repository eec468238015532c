"""The validation module: limits from botocore, token skipping, one error per construct."""

import re

import jsii
import pytest
from aws_cdk import Aws, Fn, IStableStringProducer, Lazy, Token
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from cdk_sagemaker_inference import api_model, rules, validation
from cdk_sagemaker_inference.errors import Problems, ValidationError
from cdk_sagemaker_inference.rules import LOOK_UP


def check(value, shape):
    problems = Problems()
    validation.check_value(problems, "prop", value, api_model.shape(shape), "the fix")
    return problems.items


def test_number_limits_come_from_the_api_model():
    timeout = api_model.member("ProductionVariant", "ModelDataDownloadTimeoutInSeconds")
    assert (timeout.min, timeout.max) == (60, 3600)
    assert check(59, timeout.shape) and check(3601, timeout.shape)
    assert not check(60, timeout.shape) and not check(3600, timeout.shape)


def test_a_problem_names_property_value_limits_source_and_fix():
    [problem] = check(3601, "ProductionVariantModelDataDownloadTimeoutInSeconds")
    text = str(problem)
    assert text.startswith(
        "[Api.ProductionVariantModelDataDownloadTimeoutInSeconds] prop = 3601: allowed: an integer from 60 to 3600"
    )
    assert "botocore" in text and text.endswith("Fix: the fix")


@pytest.mark.parametrize("name", ["a", "my-endpoint", "a--b", "A1" * 31 + "x"])
def test_valid_names_pass(name):
    assert not check(name, "EndpointName")


@pytest.mark.parametrize("name", ["", "-lead", "trail-", "under_score", "dot.ted", "x" * 64])
def test_invalid_names_fail(name):
    assert check(name, "EndpointName")


def test_tokens_are_never_checked():
    assert not check(Token.as_string({"Ref": "Name"}), "EndpointName")
    assert not check(Token.as_number({"Ref": "Count"}), "InitialTaskCount")
    assert not check(None, "EndpointName")
    problems = Problems()
    validation.check_count(problems, "list", Token.as_list({"Ref": "L"}), api_model.shape("Subnets"), "fix")
    validation.check_unique(problems, rules.UNIQUE_VARIANT_NAMES, "names", [Token.as_string({"Ref": "A"})] * 2, "fix")
    assert problems.items == []


def test_enum_suggests_close_matches():
    [problem] = check("ml.m5.larg", "ProductionVariantInstanceType")
    assert "closest: ml.m5.large" in problem.allowed


def test_problems_collect_then_raise_once_with_the_construct_path(stack):
    problems = Problems()
    problems.add(rules.NUMBER, "a", 1, "2", "use 2")
    problems.add(rules.WRONG_TYPE, "b", "x", "y", "use y")
    with pytest.raises(ValidationError) as caught:
        problems.raise_if_any(stack)
    assert str(caught.value).splitlines() == [
        "TestStack: 2 invalid properties",
        "  - [Number] a = 1: allowed: 2. Fix: use 2",
        "  - [WrongType] b = 'x': allowed: y. Fix: use y",
        f"  ([ID] is a rule of cdk-sagemaker-inference: {LOOK_UP})",
    ]
    assert [p.prop for p in caught.value.problems] == ["a", "b"]


def test_long_values_are_truncated_in_messages():
    problems = Problems()
    problems.add(rules.NUMBER, "p", "v" * 500, "short", "fix")
    assert len(str(problems.items[0])) < 200


# Where the guide, the API and CloudFormation disagree, the API model and the CloudFormation schema win.
ENDPOINT_CONFIG_SCHEMA = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SageMaker::EndpointConfig")


@pytest.mark.parametrize(
    ("api_member", "cfn_property"),
    [
        ("VolumeSizeInGB", "VolumeSizeInGB"),
        ("ModelDataDownloadTimeoutInSeconds", "ModelDataDownloadTimeoutInSeconds"),
        ("ContainerStartupHealthCheckTimeoutInSeconds", "ContainerStartupHealthCheckTimeoutInSeconds"),
        ("InitialInstanceCount", "InitialInstanceCount"),
        ("InitialVariantWeight", "InitialVariantWeight"),
    ],
)
def test_enforced_ranges_agree_with_the_cloudformation_schema(api_member, cfn_property):
    rule = api_model.member("ProductionVariant", api_member)
    schema = ENDPOINT_CONFIG_SCHEMA.schema["definitions"]["ProductionVariant"]["properties"][cfn_property]
    assert (rule.min, rule.max) == (schema.get("minimum"), schema.get("maximum"))


def test_guide_gap_on_timeouts_is_filled_by_the_api_minimum():
    # The guide (F-2.5, G4) gives only "up to 60 minutes"; the API and CloudFormation also set a 60 s minimum.
    assert check(30, "ProductionVariantContainerStartupHealthCheckTimeoutInSeconds")


def test_endpoint_name_length_follows_the_api_not_cloudformations_looser_max_length():
    endpoint_schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SageMaker::Endpoint").schema
    assert endpoint_schema["properties"]["EndpointName"]["maxLength"] == 64
    assert api_model.shape("EndpointName").max == 63
    assert check("x" * 64, "EndpointName") and not check("x" * 63, "EndpointName")


def test_weight_zero_is_allowed_as_the_guide_and_api_agree():
    # F-2.2: weights 0 and 1 send all traffic to the second variant; the API's minimum is 0.
    assert not check(0, "VariantWeight") and check(-0.1, "VariantWeight")


@jsii.implements(IStableStringProducer)
class StringProducer:
    def produce(self):
        return "produced"


TOKENS = {
    "string": Token.as_string({"Ref": "P"}),
    "embedded string": "prefix-" + Token.as_string({"Ref": "P"}) + "-suffix",
    "pseudo parameter": Aws.REGION,
    "intrinsic": Fn.join("-", ["a", Aws.ACCOUNT_ID]),
    "lazy string": Lazy.string(StringProducer()),
    "number": Token.as_number({"Ref": "N"}),
    "list": Token.as_list({"Ref": "L"}),
}


@pytest.mark.parametrize("kind", list(TOKENS))
def test_the_local_token_prefilter_never_hides_a_token(kind):
    assert Token.is_unresolved(TOKENS[kind])
    assert validation.is_unresolved(TOKENS[kind])


@pytest.mark.parametrize("literal", ["plain", "", "${not a token}", 0, 1, -1.5, 1e100, ["a", "b"], True, None])
def test_literals_are_not_tokens(literal):
    assert not validation.is_unresolved(literal)


@pytest.mark.parametrize("service", ["sagemaker", "sagemaker-runtime"])
def test_the_model_file_read_is_the_one_botocores_loader_loads(service):
    from botocore.loaders import Loader

    loaded = Loader().load_service_model(service, "service-2")
    assert api_model._shapes(service) == loaded["shapes"]
    assert api_model.service_model_file(service).parent.name == loaded["metadata"]["apiVersion"]


@pytest.mark.parametrize(
    ("member", "valid", "invalid"),
    [
        ("TargetModel", "models/a.tar.gz", " leading-space"),
        ("ContentType", "application/json", "text/plain; charset=\u00e9"),
        ("TargetVariant", "Primary", "-bad"),
    ],
)
def test_java_patterns_of_the_runtime_api_work_in_python(member, valid, invalid):
    rule = api_model.member("InvokeEndpointInput", member, "sagemaker-runtime")
    assert re.fullmatch(rule.pattern, valid)
    assert not re.fullmatch(rule.pattern, invalid)
    assert "sagemaker-runtime" in rule.describe()


def test_a_host_variant_may_omit_the_model_as_the_schema_allows_though_a_guide_example_names_one():
    # C5: the guide's CLI example "With inference components" names a ModelName; the IC config of F-3.1 and
    # CloudFormation's schema (ModelName not required) have none. The host variant renders none.
    variant = ENDPOINT_CONFIG_SCHEMA.schema["definitions"]["ProductionVariant"]
    assert "ModelName" not in variant.get("required", [])
    assert "ModelName" not in botocore_required("ProductionVariant")


def test_every_inference_component_property_updates_in_place_so_a_fixed_name_never_blocks_a_change():
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SageMaker::InferenceComponent").schema
    assert not schema.get("createOnlyProperties")
    assert "InferenceComponentName" not in {path.rsplit("/", 1)[-1] for path in schema.get("readOnlyProperties", [])}


def test_managed_instance_scaling_may_reach_zero_as_the_api_allows_for_component_hosts():
    # F-3.6: an endpoint hosting inference components scales to zero instances; the API's minimum is 0.
    assert not check(0, "ManagedInstanceScalingMinInstanceCount") and check(
        -1, "ManagedInstanceScalingMinInstanceCount"
    )


def botocore_required(structure):
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker").shape_for(structure).required_members


def test_a_deploy_time_value_in_a_message_is_shown_as_such():
    problems = Problems()
    name = Token.as_string(Aws.STACK_NAME) + "-endpoint"
    problems.add(rules.WRONG_TYPE, "prop", [name, 3], "something else", "fix it")
    [problem] = problems.items
    assert "prop = ['<deploy-time value>-endpoint', 3]" in str(problem)
    assert "Token[" not in str(problem)


# Behaviour the mutation run found unpinned in validation.py (each test fails for a surviving mutant's change).


@pytest.mark.parametrize(("value", "ok"), [(2**63 - 1, True), (2**63, False), (-(2**63), True), (-(2**63) - 1, False)])
def test_int64_fields_take_exactly_the_int64_range(value, ok):
    problems = Problems()
    in_range = validation.check_number(problems, "prop", value, api_model.Constraint(shape="Count", kind="long"))
    assert in_range is ok and (problems.items == []) is ok


def test_alarm_periods_default_and_bound_the_datapoints():
    def problems_of(periods, datapoints, default=1):
        problems = Problems()
        validation.check_alarm_periods(problems, periods, datapoints, default)
        return [str(problem) for problem in problems.items]

    assert problems_of(None, 5, default=5) == [] and problems_of(5, 5) == []
    [too_many] = problems_of(None, 6, default=5)
    assert "datapoints_to_alarm" in too_many and "at most evaluation_periods (5, the default)" in too_many
    assert "at most evaluation_periods (3)" in problems_of(3, 4)[0]
    assert "EvaluationPeriods" in problems_of(0, None)[0] and "DatapointsToAlarm" in problems_of(1, 0)[0]
    assert len(problems_of(0, 9)) == 1  # a bad period count is reported alone, not compared


def test_list_sizes_are_checked_at_both_ends_only_beyond_them():
    constraint = api_model.member("CreateEndpointConfigInput", "ProductionVariants")  # 1 to 10
    for size, ok in ((0, False), (1, True), (10, True), (11, False)):
        problems = Problems()
        validation.check_count(problems, "variants", list(range(size)), constraint, "split them")
        assert (problems.items == []) is ok, size


def test_a_name_given_twice_is_a_repeat():
    problems = Problems()
    validation.check_unique(problems, rules.DIRECT_HOSTNAMES, "hostnames", ["a", "b", "a"], "rename one")
    assert [problem.value for problem in problems.items] == [["a"]]


@pytest.mark.parametrize(
    ("bucket_region", "model_region", "refused"),
    [("eu-west-1", "us-east-1", True), ("us-east-1", "us-east-1", False), (None, "us-east-1", False)],
)
def test_model_data_sits_in_the_models_region(bucket_region, model_region, refused):
    problems = Problems()
    validation.check_same_region(problems, "model_data", bucket_region, model_region)
    assert bool(problems.items) is refused


def test_literal_names_are_lower_cased_for_arns_and_deploy_time_ones_kept():
    token = Token.as_string(Aws.STACK_NAME)
    assert validation.arn_name("MyEndpoint") == "myendpoint"
    assert validation.arn_name(token) == token


def test_a_deploy_time_number_passes_for_an_int_in_a_factory():
    number = Token.as_number(Aws.ACCOUNT_ID)
    assert validation.checked("CapacitySize.percent", "value", number, int, "10") == number
    with pytest.raises(ValidationError):
        validation.checked("CapacitySize.percent", "value", 2.5, int, "10")


def test_closest_values_name_three():
    [problem] = check("ml.m5.larg", "ProductionVariantInstanceType")
    assert "(closest: ml.m5.large, ml.m5d.large, ml.m5.xlarge)" in str(problem)


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("(a{1,2})+$", True),  # an inner repeat of up to 2 inside a repeat: ambiguous splits
        ("(?:x|(a+))+$", True),  # inside a group inside an alternation
        ("(?>a+)+$", True),  # inside an atomic group
        ("\\d+(ab)+$", False),
        ("[a-z]+@(b|c)+$", False),
    ],
)
def test_nested_quantifiers_are_found_inside_groups(pattern, refused):
    problems = Problems()
    validation.check_regex(problems, "pattern", pattern)
    assert bool(problems.items) is refused


def test_a_cdk_asset_key_in_a_folder_draws_no_archive_name_warning(stack):
    from aws_cdk.assertions import Annotations, Match

    problems = Problems()
    validation.check_model_data_key(stack, problems, "key", f"assets/{'a' * 64}.gz")
    validation.check_model_data_key(stack, problems, "key2", "models/model.bin")
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("ModelArchiveName"))
    assert problems.items == [] and len(warnings) == 1 and "models/model.bin" in str(warnings[0])


def test_regions_compare_by_value_not_identity():
    """Mutant `is not` for `!=`: equal Region names from different sources are the same Region."""
    built = "".join(["us-east", "-1"])  # an equal string that is not the same object
    problems = Problems()
    validation.check_same_region(problems, "model_data", built, "us-east-1")
    assert problems.items == []


def test_fewer_datapoints_than_periods_is_fine():
    """Mutant `!=` for `>`: 3 of 5 breaching periods is a valid alarm."""
    problems = Problems()
    validation.check_alarm_periods(problems, 5, 3)
    assert problems.items == []


def test_nan_is_one_problem():
    """Mutant: a NaN reported as not finite still continues to the range check."""
    problems = Problems()
    assert (
        validation.check_number(problems, "prop", float("nan"), api_model.Constraint(shape="X", kind="float")) is False
    )
    assert [problem.rule.id for problem in problems.items] == ["Number"]
    assert "a finite number" in str(problems.items[0])


def test_a_fraction_where_an_integer_belongs_is_one_problem():
    """Mutant: a fraction reported as not whole still continues to the range check (59.5 is below 60 too)."""
    [problem] = check(59.5, "ProductionVariantModelDataDownloadTimeoutInSeconds")
    assert "a whole number" in str(problem)
