"""Models from Model Registry and AWS Marketplace: what the template holds, what the roles may do, what is refused."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Environment, Stack
from aws_cdk import aws_kms as kms

from cdk_sagemaker_inference import (
    EndpointConfig,
    InstanceType,
    Model,
    ModelPackage,
    ProductionVariant,
    ServerlessProductionVariant,
)
from cdk_sagemaker_inference.model_package import RESOLVE_ID_CONTEXT, RESOURCE_TYPE
from tests.support import cfn_lint, ecr_image, expect_problems, nag_findings, new_app, template

ACCOUNT, OTHER_ACCOUNT = "111111111111", "222222222222"
GROUP_ARN = f"arn:aws:sagemaker:us-east-1:{OTHER_ACCOUNT}:model-package-group/Shared-Models"
VERSION_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/fraud-models/7"
MARKETPLACE_ARN = "arn:aws:sagemaker:us-east-1:865070037744:model-package/vendor-model-abc123"


def pinned_stack(context: dict[str, Any] | None = None, region: str = "us-east-1") -> Stack:
    app = new_app({RESOLVE_ID_CONTEXT: "fixed", **(context or {})})
    return Stack(app, "Registry", env=Environment(account=ACCOUNT, region=region))


def resources(stack: Stack, resource_type: str) -> dict[str, Any]:
    found: dict[str, Any] = template(stack).find_resources(resource_type)
    return found


def policy_of(stack: Stack, path_fragment: str) -> list[dict[str, Any]]:
    policies = resources(stack, "AWS::IAM::ManagedPolicy")
    [statements] = [p["Properties"]["PolicyDocument"]["Statement"] for k, p in policies.items() if path_fragment in k]
    return statements


def test_a_group_renders_the_resolved_version_as_model_package_name_and_grants_only_what_it_resolves():
    stack = pinned_stack()
    Model(stack, "Fraud", model_package=ModelPackage.latest_approved("fraud-models"), environment={"LOG": "1"})

    [(resolver_id, resolver)] = resources(stack, RESOURCE_TYPE).items()
    assert resolver["Properties"]["Group"] == "fraud-models"
    assert resolver["Properties"]["ResolveId"] == "fixed"
    [model] = resources(stack, "AWS::SageMaker::Model").values()
    assert model["Properties"]["PrimaryContainer"] == {
        "ModelPackageName": {"Fn::GetAtt": [resolver_id, "ModelPackageArn"]},
        "Environment": {"LOG": "1"},
    }
    role_statements = policy_of(stack, "FraudExecutionRole")
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in role_statements}
    assert by_action['"s3:GetObject"'] == {"Fn::Split": [",", {"Fn::GetAtt": [resolver_id, "ModelDataArns"]}]}
    ecr_pull = json.dumps(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
    assert by_action[ecr_pull] == {"Fn::Split": [",", {"Fn::GetAtt": [resolver_id, "ImageRepositoryArns"]}]}
    assert not any("kms:" in json.dumps(s["Action"]) for s in role_statements)


def test_the_resolver_may_describe_only_the_versions_of_the_groups_served():
    stack = pinned_stack()
    Model(stack, "Own", model_package=ModelPackage.latest_approved("fraud-models"))
    Model(stack, "Shared", model_package=ModelPackage.latest_approved(GROUP_ARN))
    Model(stack, "Pinned", model_package=ModelPackage.from_version_arn(VERSION_ARN))

    assert len(resources(stack, "AWS::Lambda::Function")) == 2  # one provider: its handler and the framework's
    statements = policy_of(stack, "SageMakerModelPackageProvider")
    [describe] = [s["Resource"] for s in statements if s["Action"] == "sagemaker:DescribeModelPackage"]
    assert describe == [
        {
            "Fn::Join": [
                "",
                ["arn:", {"Ref": "AWS::Partition"}, f":sagemaker:us-east-1:{ACCOUNT}:model-package/fraud-models/*"],
            ]
        },
        f"arn:aws:sagemaker:us-east-1:{OTHER_ACCOUNT}:model-package/shared-models/*",
        VERSION_ARN,
    ]
    [listing] = [s for s in statements if s["Action"] == "sagemaker:ListModelPackages"]
    assert listing["Resource"] == "*"


def test_a_version_by_arn_passes_its_approval_requirement_to_the_resolver():
    stack = pinned_stack()
    Model(stack, "Pinned", model_package=ModelPackage.from_version_arn(VERSION_ARN, require_approval=False))

    [resolver] = resources(stack, RESOURCE_TYPE).values()
    assert {k: v for k, v in resolver["Properties"].items() if k != "ServiceToken"} == {
        "Version": VERSION_ARN,
        "RequireApproval": "false",
        "ResolveId": "fixed",
    }


def test_each_synth_without_the_context_key_resolves_again():
    stack = Stack(new_app(), "Registry")
    Model(stack, "Fraud", model_package=ModelPackage.latest_approved("fraud-models"))

    [resolver] = resources(stack, RESOURCE_TYPE).values()
    resolve_id = resolver["Properties"]["ResolveId"]
    assert resolve_id.isdigit() and resolve_id != "fixed"


def test_an_artifacts_key_is_granted_decrypt_through_s3_only():
    stack = pinned_stack()
    key = kms.Key.from_key_arn(stack, "Key", f"arn:aws:kms:us-east-1:{OTHER_ACCOUNT}:key/1234")
    Model(stack, "Fraud", model_package=ModelPackage.latest_approved(GROUP_ARN, artifacts_key=key))

    [decrypt] = [s for s in policy_of(stack, "FraudExecutionRole") if s["Action"] == "kms:Decrypt"]
    assert decrypt["Resource"] == f"arn:aws:kms:us-east-1:{OTHER_ACCOUNT}:key/1234"
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_a_marketplace_package_is_named_as_given_with_no_resolver_and_no_artifact_grants():
    stack = pinned_stack()
    Model(stack, "Vendor", model_package=ModelPackage.from_marketplace(MARKETPLACE_ARN), network_isolation=True)

    assert resources(stack, RESOURCE_TYPE) == {}
    [model] = resources(stack, "AWS::SageMaker::Model").values()
    assert model["Properties"]["PrimaryContainer"] == {"ModelPackageName": MARKETPLACE_ARN}
    assert model["Properties"]["EnableNetworkIsolation"] is True
    actions = json.dumps([s["Action"] for s in policy_of(stack, "VendorExecutionRole")])
    assert "ecr:" not in actions and "s3:" not in actions


def test_registry_and_marketplace_models_are_cdk_nag_and_cfn_lint_clean():
    stack = pinned_stack()
    key = kms.Key.from_key_arn(stack, "Key", f"arn:aws:kms:us-east-1:{OTHER_ACCOUNT}:key/1234")
    fraud = Model(stack, "Fraud", model_package=ModelPackage.latest_approved(GROUP_ARN, artifacts_key=key))
    vendor = Model(
        stack, "Vendor", model_package=ModelPackage.from_marketplace(MARKETPLACE_ARN), network_isolation=True
    )
    Model(stack, "Own", model_package=ModelPackage.latest_approved("fraud-models"))
    EndpointConfig(
        stack,
        "Config",
        kms_key=kms.Key.from_key_arn(stack, "VolumeKey", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/5678"),
        production_variants=[
            ProductionVariant(model=fraud, variant_name="Fraud", instance_type=InstanceType.ML_M5_LARGE),
            ProductionVariant(model=vendor, variant_name="Vendor", instance_type=InstanceType.ML_M5_LARGE),
        ],
    )

    assert nag_findings(stack) == []
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []


def test_a_model_package_with_an_image_or_containers_is_refused():
    stack = pinned_stack()
    expect_problems(
        lambda: Model(
            stack, "Both", model_package=ModelPackage.latest_approved("fraud-models"), container=ecr_image(stack)
        ),
        "[ModelContainers] model_package = 'given with container, model_data or containers'",
        "the model package names its image and data",
    )


def test_a_marketplace_package_needs_network_isolation():
    stack = pinned_stack()
    expect_problems(
        lambda: Model(stack, "Vendor", model_package=ModelPackage.from_marketplace(MARKETPLACE_ARN)),
        "[MarketplaceNetworkIsolation] network_isolation = False",
        "pass network_isolation=True",
    )


def test_serverless_refuses_a_marketplace_package():
    stack = pinned_stack()
    vendor = Model(
        stack, "Vendor", model_package=ModelPackage.from_marketplace(MARKETPLACE_ARN), network_isolation=True
    )
    expect_problems(
        lambda: EndpointConfig(
            stack,
            "Config",
            production_variants=[ServerlessProductionVariant(model=vendor, memory_size_in_mb=2048, max_concurrency=1)],
        ),
        "[ServerlessNoMarketplace] production_variants[0].model.model_package",
    )


def test_a_package_in_another_region_is_refused():
    stack = pinned_stack(region="eu-west-1")
    expect_problems(
        lambda: Model(stack, "Far", model_package=ModelPackage.from_version_arn(VERSION_ARN)),
        "[ModelPackageRegion] model_package = 'a model package in us-east-1'",
        "the model's Region (eu-west-1)",
    )


def test_bad_group_names_and_arns_cite_the_api_shapes():
    stack = pinned_stack()
    expect_problems(
        lambda: Model(stack, "Bad", model_package=ModelPackage.latest_approved("fraud_models!")),
        "[Api.ArnOrName] model_package.group (ModelPackageGroupName) = 'fraud_models!'",
    )
    expect_problems(
        lambda: Model(stack, "Bad2", model_package=ModelPackage.from_version_arn("fraud-models/7")),
        "[Api.ModelPackageArn] model_package.version_arn = 'fraud-models/7'",
    )
    expect_problems(
        lambda: Model(stack, "Bad3", model_package=ModelPackage.from_version_arn(VERSION_ARN, require_approval="no")),
        "[WrongType] model_package.require_approval = 'no'",
    )
    expect_problems(
        lambda: Model(stack, "Bad4", model_package="fraud-models"), "[WrongType] model_package = 'fraud-models'"
    )
