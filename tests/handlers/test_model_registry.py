"""The Model Registry resolver over real HTTP against the local moto server, as CloudFormation calls it.

Each test registers versions in moto, sends the handler the requests CloudFormation sends (every property a
string), and checks the version chosen and what the execution role is granted.
"""

from __future__ import annotations

from typing import Any

import pytest
import resolver
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from tests.handlers.conftest import client

GROUP = "fraud-models"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.4"
REPOSITORY_ARN = "arn:aws:ecr:us-east-1:123456789012:repository/fraud"


@pytest.fixture
def sagemaker(aws: str) -> Any:
    sagemaker: Any = client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    return sagemaker


def register(sagemaker: Any, status: str, *, containers: list[dict[str, Any]] | None = None) -> str:
    """A new version of the group; its ARN."""
    containers = containers or [{"Image": IMAGE, "ModelDataUrl": "s3://models/fraud/model.tar.gz"}]
    answer = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=status,
        InferenceSpecification={
            "Containers": containers,
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )
    return str(answer["ModelPackageArn"])


def request(kind: str, resolve_id: str = "1", **properties: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": kind,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "ResolveId": resolve_id,
            **properties,
        },
    }
    if kind != "Create":
        event["PhysicalResourceId"] = properties.get("Group") or properties["Version"]
    return event


def test_the_newest_approved_version_wins_over_older_ones_and_a_newer_pending_one(sagemaker):
    register(sagemaker, "Approved")
    newest_approved = register(sagemaker, "Approved")
    register(sagemaker, "Rejected")
    register(sagemaker, "PendingManualApproval")

    answer = resolver.on_event(request("Create", Group=GROUP))

    assert answer["PhysicalResourceId"] == GROUP
    assert answer["Data"]["ModelPackageArn"] == newest_approved
    assert answer["Data"]["ModelPackageVersion"] == "2"


def test_more_versions_than_a_page_still_give_the_newest(sagemaker):
    """Listed oldest first (the API's default order), the first page would end at version 20."""
    arns = [register(sagemaker, "Approved") for _ in range(resolver.PAGE_SIZE + 5)]

    answer = resolver.on_event(request("Create", Group=GROUP))

    assert answer["Data"]["ModelPackageArn"] == arns[-1]


def test_an_empty_first_page_is_followed_to_the_next(sagemaker, monkeypatch):
    """A filtered list may answer a page without items but with a NextToken: the resolver reads on."""
    approved = register(sagemaker, "Approved")
    original = SageMakerResponse.list_model_packages
    tokens = []

    def empty_first_page(response: Any) -> Any:
        tokens.append(response._get_param("NextToken"))
        if len(tokens) == 1:
            return ActionResult({"ModelPackageSummaryList": [], "NextToken": "page-2"})
        given = response._get_param
        response._get_param = lambda name, default=None: None if name == "NextToken" else given(name, default)
        return original(response)

    monkeypatch.setattr(SageMakerResponse, "list_model_packages", empty_first_page)

    answer = resolver.on_event(request("Create", Group=GROUP))

    assert tokens == [None, "page-2"]
    assert answer["Data"]["ModelPackageArn"] == approved


def test_a_group_without_an_approved_version_fails_the_deploy_with_what_to_do(sagemaker):
    register(sagemaker, "PendingManualApproval")

    with pytest.raises(resolver.ResolveError, match=f"group {GROUP} has no Approved version.*approve one"):
        resolver.on_event(request("Create", Group=GROUP))


def test_a_denied_group_names_the_group_and_the_resource_policy_it_needs(sagemaker, monkeypatch):
    def denied(backend, *args, **kwargs):
        raise JsonRESTError("AccessDeniedException", "not authorized to perform sagemaker:ListModelPackages")

    monkeypatch.setattr(SageMakerModelBackend, "list_model_packages", denied)
    other = "arn:aws:sagemaker:us-east-1:210987654321:model-package-group/shared-models"

    with pytest.raises(resolver.ResolveError) as raised:
        resolver.on_event(request("Create", Group=other))

    assert other in str(raised.value) and "AccessDeniedException" in str(raised.value)
    assert "PutModelPackageGroupPolicy" in str(raised.value)


def test_a_later_deploy_resolves_again_and_picks_up_a_new_approval(sagemaker):
    first = register(sagemaker, "Approved")
    created = resolver.on_event(request("Create", resolve_id="1", Group=GROUP))
    second = register(sagemaker, "PendingManualApproval")
    sagemaker.update_model_package(ModelPackageArn=second, ModelApprovalStatus="Approved")

    updated = resolver.on_event(request("Update", resolve_id="2", Group=GROUP))

    assert created["Data"]["ModelPackageArn"] == first
    assert updated["Data"]["ModelPackageArn"] == second
    assert updated["PhysicalResourceId"] == created["PhysicalResourceId"]  # an attribute change, not a replacement


def test_a_version_by_arn_must_be_approved_unless_the_app_says_otherwise(sagemaker):
    pending = register(sagemaker, "PendingManualApproval")

    with pytest.raises(resolver.ResolveError, match="is PendingManualApproval, not Approved"):
        resolver.on_event(request("Create", Version=pending, RequireApproval="true"))
    answer = resolver.on_event(request("Create", Version=pending, RequireApproval="false"))

    assert answer["Data"]["ModelPackageArn"] == pending
    assert answer["PhysicalResourceId"] == pending


def test_grants_name_each_container_repository_and_data_object_once(sagemaker):
    register(
        sagemaker,
        "Approved",
        containers=[
            {"Image": IMAGE, "ModelDataUrl": "s3://models/fraud/model.tar.gz"},
            {"Image": f"{IMAGE.split(':')[0]}@sha256:{'a' * 64}", "ModelDataUrl": "s3://models/fraud/model.tar.gz"},
            {
                "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4",
                "ModelDataSource": {
                    "S3DataSource": {"S3Uri": "s3://weights/llm/", "S3DataType": "S3Prefix", "CompressionType": "None"}
                },
            },
        ],
    )

    data = resolver.on_event(request("Create", Group=GROUP))["Data"]

    assert data["ImageRepositoryArns"].split(",") == [
        REPOSITORY_ARN,
        "arn:aws:ecr:us-east-1:763104351884:repository/huggingface-pytorch-tgi-inference",
    ]
    assert data["ModelDataArns"].split(",") == ["arn:aws:s3:::models/fraud/model.tar.gz", "arn:aws:s3:::weights/llm/*"]


def test_a_version_without_model_data_grants_no_s3_object(sagemaker):
    arn = register(sagemaker, "Approved", containers=[{"Image": IMAGE}])

    data = resolver.on_event(request("Create", Group=GROUP))["Data"]

    assert data["ModelDataArns"] == arn  # a SageMaker ARN: no S3 request matches it
    assert data["ImageRepositoryArns"] == REPOSITORY_ARN


def test_an_image_outside_ecr_fails_with_its_uri(sagemaker):
    register(sagemaker, "Approved", containers=[{"Image": "registry.example.com/fraud:1"}])

    with pytest.raises(resolver.ResolveError, match=r"registry\.example\.com/fraud:1, which is not an Amazon ECR"):
        resolver.on_event(request("Create", Group=GROUP))


def test_delete_calls_nothing(aws):
    """No group exists: a Delete that called SageMaker would fail."""
    answer = resolver.on_event(request("Delete", Group="gone"))

    assert answer == {"PhysicalResourceId": "gone"}
