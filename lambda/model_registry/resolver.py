"""Resolves the Model Registry version a model serves, at deploy time; run by the CDK custom-resources Provider
framework (``on_event`` only).

Properties (strings, as CloudFormation sends them):

- ``Group``: a model package group's name or ARN (another account's group by ARN). The newest version whose
  status is ``Approved`` is chosen: ListModelPackages sorted by creation time, *descending* (the API's default
  order is ascending, oldest first), following every page until one holds a version.
- ``Version``: a model package version's ARN instead of ``Group``; it must be ``Approved`` unless
  ``RequireApproval`` is ``"false"``.
- ``ResolveId``: changes with every synth, so every deploy resolves again (CloudFormation sends an Update only
  when a property changes).

The answer's ``Data``: ``ModelPackageArn`` and ``ModelPackageVersion`` of the version chosen, and for the execution
role's grants ``ImageRepositoryArns`` (each container image's ECR repository) and ``ModelDataArns`` (each
container's S3 object, or ``<prefix>*`` for uncompressed data), comma-separated. A version without model data
answers its own ARN there, which no S3 request matches. The physical ID stays the group or version given, so a newly
approved version changes attributes (and replaces the model that reads them), never this resource. Delete: nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

LOG = logging.getLogger("model_registry")
LOG.setLevel(logging.INFO)

CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 3})
APPROVED = "Approved"
PAGE_SIZE = 20
ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?"
    r"/(?P<repository>[a-z0-9._/-]+?)(?::[\w.-]+|@sha256:[0-9a-f]{64})?$"
)
S3_URI = re.compile(r"s3://(?P<bucket>[^/]+)/(?P<key>.*)")
ACCESS_HINT = (
    "the group's resource policy (PutModelPackageGroupPolicy) must allow this account sagemaker:ListModelPackages "
    "and sagemaker:DescribeModelPackage when the group is in another account"
)


class ResolveError(Exception):
    """A reason CloudFormation shows for the failed resource."""


def on_event(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """The Provider framework's entry point: one CloudFormation request, answered at once."""
    properties = event["ResourceProperties"]
    source = properties.get("Group") or properties["Version"]
    LOG.info("%s for %s", event["RequestType"], source)
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    sagemaker = boto3.client("sagemaker", config=CONFIG)
    if properties.get("Group"):
        arn = newest_approved(sagemaker, properties["Group"])
        require_approval = True
    else:
        arn, require_approval = properties["Version"], properties.get("RequireApproval") != "false"
    package = _call(sagemaker.describe_model_package, f"describing {arn}", ModelPackageName=arn)
    status = package.get("ModelApprovalStatus")
    if require_approval and status != APPROVED:
        raise ResolveError(
            f"model package {arn} is {status}, not {APPROVED}: approve it (UpdateModelPackage "
            "ModelApprovalStatus=Approved) or pass require_approval=False"
        )
    LOG.info("resolved %s (%s)", package["ModelPackageArn"], status)
    return {"PhysicalResourceId": source, "Data": grants_of(package)}


def newest_approved(sagemaker: Any, group: str) -> str:
    """The ARN of ``group``'s newest Approved version; pages may be empty before the last one."""
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group,
        ModelApprovalStatus=APPROVED,
        SortBy="CreationTime",
        SortOrder="Descending",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    try:
        for page in pages:
            for summary in page["ModelPackageSummaryList"]:
                return str(summary["ModelPackageArn"])
    except ClientError as error:
        raise ResolveError(
            f"listing the versions of model package group {group} failed: {error}; {ACCESS_HINT}"
        ) from error
    raise ResolveError(
        f"model package group {group} has no {APPROVED} version (or no such group is visible to this account): "
        "approve one (UpdateModelPackage ModelApprovalStatus=Approved), or deploy a version by ARN"
    )


def grants_of(package: dict[str, Any]) -> dict[str, str]:
    """What the execution role must read to serve ``package``: its images' repositories and its model data."""
    arn = package["ModelPackageArn"]
    partition = arn.split(":")[1]
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    if not containers:
        raise ResolveError(f"model package {arn} has no InferenceSpecification containers to serve")
    repositories = [_repository_arn(container["Image"], arn) for container in containers]
    data = [_data_arn(container, partition) for container in containers]
    return {
        "ModelPackageArn": arn,
        "ModelPackageVersion": str(package.get("ModelPackageVersion", "")),
        "ImageRepositoryArns": ",".join(dict.fromkeys(repositories)),
        "ModelDataArns": ",".join(dict.fromkeys(found for found in data if found)) or arn,
    }


def _repository_arn(image: str, package_arn: str) -> str:
    match = ECR_IMAGE.fullmatch(image)
    if match is None:
        raise ResolveError(f"model package {package_arn} has image {image}, which is not an Amazon ECR image URI")
    partition = "aws-cn" if match["cn"] else package_arn.split(":")[1]
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


def _data_arn(container: dict[str, Any], partition: str) -> str | None:
    source = container.get("ModelDataSource", {}).get("S3DataSource")
    uri = source["S3Uri"] if source else container.get("ModelDataUrl")
    if not uri:
        return None
    match = S3_URI.fullmatch(uri)
    if match is None:
        raise ResolveError(f"model data {uri} is not an s3://bucket/key URI")
    wildcard = "*" if source and source.get("S3DataType") == "S3Prefix" else ""
    return f"arn:{partition}:s3:::{match['bucket']}/{match['key']}{wildcard}"


def _call(operation: Any, doing: str, **request: Any) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = operation(**request)
    except ClientError as error:
        raise ResolveError(f"{doing} failed: {error}; {ACCESS_HINT}") from error
    return answer
