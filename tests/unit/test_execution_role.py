"""The execution role: trust, one managed policy, no wildcard the service does not force."""

import json

import pytest
from aws_cdk import CfnParameter, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match
from cdk_nag import AwsSolutionsChecks

from cdk_sagemaker_inference import Endpoint, EndpointConfig, ExecutionRole, ModelData
from tests.support import ecr_model, nag_findings, new_app, only_resource, template, variant

ISOLATED = [ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)]


def statements(stack):
    policy = only_resource(stack, "AWS::IAM::ManagedPolicy")
    return stack.resolve(policy["Properties"]["PolicyDocument"]["Statement"])


def test_role_trusts_sagemaker_only_on_behalf_of_this_account(stack):
    ExecutionRole(stack, "Role")
    trust = only_resource(stack, "AWS::IAM::Role")["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
        }
    ]


def log_resources(stack):
    [logs] = [s for s in statements(stack) if "logs:PutLogEvents" in s["Action"]]
    return json.dumps(logs["Resource"])


def test_logs_are_limited_to_the_log_groups_of_the_endpoints_served(stack):
    shared = ecr_model(stack, "First")
    second = ecr_model(stack, "Second", role=shared.execution_role)
    config = EndpointConfig(stack, "Config", production_variants=[variant(shared, variant_name="A")])
    Endpoint(stack, "Blue", endpoint_config=config, endpoint_name="sentiment-blue")
    Endpoint(stack, "Green", endpoint_config=config, endpoint_name="sentiment-green")
    config.add_production_variant(variant(second, variant_name="B"))  # a model added later is scoped too
    rendered = log_resources(stack)
    assert "Endpoints/*" not in rendered
    for name in ("sentiment-blue", "sentiment-green"):
        assert rendered.count(f"log-group:/aws/sagemaker/Endpoints/{name}") == 2  # the group and its streams
    acknowledged = json.dumps([e.data for e in shared.execution_role.policy.node.metadata])
    assert "Endpoints/sentiment-blue:log-stream:*" in acknowledged


def test_past_six_endpoints_the_log_groups_narrow_to_their_names_common_prefix(stack):
    model = ecr_model(stack)
    config = EndpointConfig(stack, "Config", production_variants=[variant(model)])
    for index in range(7):
        Endpoint(stack, f"E{index}", endpoint_config=config, endpoint_name=f"fraud-scorer-{index}")
    rendered = log_resources(stack)
    assert "Endpoints/fraud-scorer-0" not in rendered
    assert rendered.count("log-group:/aws/sagemaker/Endpoints/fraud-scorer-*") == 2  # the groups and their streams
    assert [finding for finding in nag_findings(stack) if finding[1].startswith("TestStack/Model/")] == []


def test_an_endpoint_named_only_at_deploy_time_is_scoped_by_that_name_and_widens_no_other(stack):
    model = ecr_model(stack)
    config = EndpointConfig(stack, "Config", production_variants=[variant(model)])
    Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name=CfnParameter(stack, "Name").value_as_string)
    Endpoint(stack, "Other", endpoint_config=config, endpoint_name="sentiment-other")
    rendered = log_resources(stack)
    assert "Endpoints/*" not in rendered  # neither the deploy-time name nor the literal one widens to the prefix
    assert rendered.count(':log-group:/aws/sagemaker/Endpoints/", {"Ref": "Name"}') == 2
    assert rendered.count("log-group:/aws/sagemaker/Endpoints/sentiment-other") == 2
    # The deploy-time log group's streams are acknowledged by the name cdk-nag prints for it (<Name>).
    assert [finding for finding in nag_findings(stack) if finding[1].startswith("TestStack/Model/")] == []


def test_kms_decrypt_is_granted_only_through_s3(stack):
    key = kms.Key(stack, "Key")
    ecr_model(stack, model_data=ModelData.from_s3_url("s3://b-1/m.tar.gz", kms_key=key))
    [decrypt] = [s for s in statements(stack) if s["Action"] == "kms:Decrypt"]
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}
    }


def test_permissions_live_in_one_managed_policy_never_inline_or_full_access(stack):
    ecr_model(stack)
    found = template(stack)
    found.resource_count_is("AWS::IAM::Policy", 0)
    found.resource_count_is("AWS::IAM::ManagedPolicy", 1)
    assert "AmazonSageMakerFullAccess" not in json.dumps(found.to_json())
    assert "ManagedPolicyArns" not in only_resource(stack, "AWS::IAM::Role")["Properties"]


def test_every_wildcard_resource_is_an_action_without_resource_level_permissions(stack):
    ecr_model(stack)
    forced = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}
    for statement in statements(stack):
        if statement["Resource"] == "*":
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert set(actions) <= forced, statement
        assert "*" not in json.dumps(statement["Action"])


def test_metrics_are_limited_to_sagemaker_namespaces(stack):
    ExecutionRole(stack, "Role")
    [metrics] = [s for s in statements(stack) if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics["Condition"] == {"StringLike": {"cloudwatch:namespace": ["AWS/SageMaker", "/aws/sagemaker/*"]}}


def test_logs_are_limited_to_the_endpoint_log_group_prefix(stack):
    ExecutionRole(stack, "Role")
    [logs] = [s for s in statements(stack) if "logs:PutLogEvents" in s["Action"]]
    rendered = json.dumps(logs["Resource"])
    assert rendered.count("log-group:/aws/sagemaker/Endpoints/*") == 2


def test_an_existing_role_gets_the_policy_attached_and_no_new_role(stack):
    existing = iam.Role.from_role_arn(stack, "Existing", "arn:aws:iam::123456789012:role/ml-team")
    ExecutionRole(stack, "Role", role=existing)
    template(stack).resource_count_is("AWS::IAM::Role", 0)
    assert only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["Roles"] == ["ml-team"]


def test_forced_wildcards_are_acknowledged_on_the_policy_not_the_stack(stack):
    role = ExecutionRole(stack, "Role")
    template(stack)  # acknowledgments are made when the app synthesizes, for the wildcards the policy holds then
    acknowledged = [entry.data for entry in role.policy.node.metadata if entry.type == "aws:cdk:acknowledged-rules"]
    ids = {key.split("::", 1)[1] for data in acknowledged for key in data}
    assert "AwsSolutions-IAM5[Resource::*]" in ids
    assert any("log-group:/aws/sagemaker/Endpoints/*" in finding for finding in ids)
    assert not [entry for entry in stack.node.metadata if entry.type == "aws:cdk:acknowledged-rules"]


@pytest.mark.parametrize(
    "env",
    [None, {"account": "123456789012", "region": "eu-west-1"}],
    ids=["env-agnostic", "pinned-env"],
)
def test_cdk_nag_finds_nothing_unacknowledged_on_a_model_role(env):
    stack = Stack(new_app(), "Nagged", env=env)
    ecr_model(stack, vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=ISOLATED))
    report = AwsSolutionsChecks(stack).validate_scope(stack)
    findings = [(v.rule_name, r.construct_path) for v in report.violations for r in v.violating_resources]
    assert [finding for finding in findings if "/Model/" in finding[1]] == []


def test_add_to_policy_lands_in_the_managed_policy(stack):
    role = ExecutionRole(stack, "Role")
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::extra/x"]))
    template(stack).has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Resource": "arn:aws:s3:::extra/x"})])}},
    )


def test_statements_expose_what_was_granted(stack):
    model = ecr_model(stack)
    actions = [statement["Action"] for statement in model.execution_role.statements]
    assert "s3:GetObject" not in actions  # no model data, no read grant
    assert "ecr:GetAuthorizationToken" in actions and "cloudwatch:PutMetricData" in actions
