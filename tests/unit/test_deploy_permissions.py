"""What the deploying principal needs: derived from the stack's constructs, added to a principal on request.

The sample app's templates are checked against it in tests/app/test_sample_app.py.
"""

import json

from aws_cdk import aws_iam as iam

from cdk_sagemaker_inference import deploy_statements, grant_deploy
from tests.support import new_stack, realtime_endpoint, template


def test_a_stack_without_endpoints_needs_nothing(stack):
    assert deploy_statements(stack) == []


def test_grant_deploy_adds_the_statements_to_the_principal(stack):
    endpoint = realtime_endpoint(stack, initial_instance_count=2)
    endpoint.find_variant("AllTraffic").auto_scale_instance_count(min_capacity=2, max_capacity=4)
    deployer = iam.Role(stack, "Deployer", assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"))
    grant_deploy(stack, deployer)
    [policy] = [
        p
        for p in template(stack).find_resources("AWS::IAM::Policy").values()
        if "Deployer" in json.dumps(p["Properties"]["Roles"])
    ]
    text = json.dumps(policy["Properties"]["PolicyDocument"])
    for action in ("iam:PassRole", "sagemaker:UpdateEndpoint", "iam:CreateServiceLinkedRole"):
        assert action in text
    assert f"endpoint/{endpoint.endpoint_name.lower()}" in text
    assert "sagemaker.amazonaws.com" in text  # PassRole to SageMaker only


def test_an_endpoint_without_scaling_needs_no_scaling_rights():
    stack = new_stack()
    realtime_endpoint(stack)
    actions = json.dumps([statement.to_statement_json() for statement in deploy_statements(stack)])
    assert "application-autoscaling" not in actions and "iam:PassRole" in actions
