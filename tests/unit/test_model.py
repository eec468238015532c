"""The Model: container, data, environment, network, role wiring and day-2 safety."""

import json

import pytest
from aws_cdk import Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match

from cdk_sagemaker_inference import ExecutionRole
from tests.support import ecr_model, expect_problems, new_stack, only_resource, template

PRIVATE = ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)


def isolated_vpc(stack, azs=2):
    return ec2.Vpc(stack, "Vpc", max_azs=azs, nat_gateways=0, subnet_configuration=[PRIVATE])


def model_properties(stack):
    return only_resource(stack, "AWS::SageMaker::Model")["Properties"]


def test_model_has_no_physical_name_so_changes_replace_it(stack):
    ecr_model(stack)
    assert "ModelName" not in model_properties(stack)


def test_model_depends_on_its_role_policy(stack):
    model = ecr_model(stack)
    resource = only_resource(stack, "AWS::SageMaker::Model")
    policy_id = stack.get_logical_id(model.execution_role.policy)
    assert policy_id in resource["DependsOn"]


def test_environment_and_network_isolation_are_rendered(stack):
    ecr_model(stack, environment={"SAGEMAKER_PROGRAM": "inference.py"}, network_isolation=True)
    properties = model_properties(stack)
    assert properties["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "inference.py"}
    assert properties["EnableNetworkIsolation"] is True


def test_defaults_render_no_optional_properties(stack):
    ecr_model(stack)
    assert set(model_properties(stack)) == {"ExecutionRoleArn", "PrimaryContainer"}


@pytest.mark.parametrize(
    ("environment", "fragment"),
    [
        ({"1BAD": "x"}, "environment key = '1BAD'"),
        ({"KEY": "v" * 1025}, "environment['KEY']"),
        ({f"K{i}": "v" for i in range(101)}, "environment = '101 entries'"),
    ],
)
def test_environment_rules(stack, environment, fragment):
    expect_problems(lambda: ecr_model(stack, environment=environment), fragment)


def test_environment_token_values_are_not_checked(stack):
    ecr_model(stack, environment={"SECRET_ARN": Token.as_string({"Ref": "SecretArn"})})
    assert model_properties(stack)["PrimaryContainer"]["Environment"] == {"SECRET_ARN": {"Ref": "SecretArn"}}


def test_all_problems_of_a_model_come_in_one_error(stack, tmp_path):
    from cdk_sagemaker_inference import ContainerImage, Model, ModelData

    error = expect_problems(
        lambda: Model(
            stack,
            "Broken",
            container=ContainerImage.from_image_uri("docker.io/x:1"),
            model_data=ModelData.from_s3_url("s3://b/model.zip"),
            environment={"9": "x"},
        ),
        "TestStack/Broken: 3 invalid properties",
    )
    assert [p.prop for p in error.problems] == ["container", "model_data", "environment key"]


def test_vpc_model_gets_subnets_a_security_group_connections_and_eni_permissions(stack):
    model = ecr_model(stack, vpc=isolated_vpc(stack))
    config = model_properties(stack)["VpcConfig"]
    assert len(config["Subnets"]) == 2 and len(config["SecurityGroupIds"]) == 1
    assert model.connections.security_groups == model.security_groups
    document = stack.resolve(only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"])
    assert any("ec2:CreateNetworkInterface" in s["Action"] for s in document["Statement"])


def test_vpc_model_uses_given_security_groups(stack):
    vpc = isolated_vpc(stack)
    group = ec2.SecurityGroup(stack, "Group", vpc=vpc)
    ecr_model(stack, vpc=vpc, security_groups=[group])
    template(stack).resource_count_is("AWS::EC2::SecurityGroup", 1)


def test_model_without_vpc_has_no_connections(stack):
    model = ecr_model(stack)
    with pytest.raises(ValueError, match="has no VPC"):
        _ = model.connections


def test_subnets_or_security_groups_without_vpc_are_an_error(stack):
    selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    expect_problems(lambda: ecr_model(stack, vpc_subnets=selection), "vpc = None", "pass vpc=")


def test_too_many_security_groups_are_an_error(stack):
    vpc = isolated_vpc(stack)
    groups = [ec2.SecurityGroup(stack, f"G{i}", vpc=vpc) for i in range(6)]
    expect_problems(
        lambda: ecr_model(stack, vpc=vpc, security_groups=groups), "security_groups (SecurityGroupIds) = '6 items'"
    )


def test_a_single_subnet_is_a_warning(stack):
    ecr_model(stack, vpc=isolated_vpc(stack, azs=1))
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Model", Match.string_like_regexp("at least 2 in different Availability Zones.*SingleSubnet")
    )


def test_shared_execution_role_means_one_role_and_one_policy_without_repeats(stack):
    alone = new_stack("Alone")
    ecr_model(alone)
    first = ecr_model(stack, "First")
    ecr_model(stack, "Second", role=first.execution_role)  # same grants, from new constructs and tokens
    template(stack).resource_count_is("AWS::IAM::Role", 1)
    shared = only_resource(stack, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    single = only_resource(alone, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert len(shared) == len(single) == 4  # logs, metrics, image pull, ECR token


def test_existing_iam_role(stack):
    role = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::123456789012:role/inference")
    model = ecr_model(stack, role=role)
    assert isinstance(model.execution_role, ExecutionRole)
    assert model_properties(stack)["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/inference"


def test_model_name_and_arn_reference_the_resource(stack):
    model = ecr_model(stack)
    logical_id = stack.get_logical_id(model.resource)
    assert stack.resolve(model.model_arn) == {"Ref": logical_id}
    assert stack.resolve(model.model_name) == {"Fn::GetAtt": [logical_id, "ModelName"]}


def test_models_sharing_one_iam_role_share_one_managed_policy(stack):
    role = iam.Role.from_role_arn(stack, "Shared", "arn:aws:iam::123456789012:role/ml-team")
    models = [ecr_model(stack, f"Model{index}", role=role) for index in range(12)]  # IAM attaches 10 by default
    policies = template(stack).find_resources("AWS::IAM::ManagedPolicy")
    assert len(policies) == 1
    [(policy_id, policy)] = policies.items()
    assert policy["Properties"]["Roles"] == ["ml-team"]
    assert {model.execution_role for model in models} == {models[0].execution_role}
    for resource in template(stack).find_resources("AWS::SageMaker::Model").values():
        assert policy_id in resource["DependsOn"]


def test_grants_through_a_model_land_in_its_managed_policy_which_the_model_waits_for(stack):
    model = ecr_model(stack)
    bucket = s3.Bucket(stack, "Features")
    bucket.grant_read(model)
    found = template(stack)
    found.resource_count_is("AWS::IAM::Policy", 0)  # nothing inline
    [policy] = found.find_resources("AWS::IAM::ManagedPolicy").values()
    statements = json.dumps(policy["Properties"]["PolicyDocument"]["Statement"])
    assert "s3:GetObject*" in statements and stack.resolve(bucket.node.default_child.logical_id) in statements
