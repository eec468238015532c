"""A bucket and a key prefix in it (where asynchronous results, captures and multi-model models live), and the
private bucket the library defines when none is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import rules, validation
from .errors import Problems

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from constructs import Construct


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix in it (``""`` for the whole bucket); ``prefix`` usually ends with ``/``."""

    bucket: s3.IBucket
    prefix: str = ""

    @property
    def objects_arn(self) -> str:
        """Every object under the prefix, for a grant."""
        return self.bucket.arn_for_objects(f"{self.prefix}*")

    @property
    def url(self) -> str:
        """``s3://<bucket>/<prefix>``."""
        return f"s3://{self.bucket.bucket_name}/{self.prefix}"


def check_location(problems: Problems, prop: str, location: object) -> bool:
    """An `S3Location` whose bucket is an ``IBucket`` and whose literal prefix holds no IAM wildcard."""
    if not validation.check_type(problems, prop, location, S3Location, "S3Location(bucket, 'prefix/')"):
        return False
    assert isinstance(location, S3Location)
    if not validation.check_interface(
        problems, f"{prop}.bucket", location.bucket, "s3.IBucket", "arn_for_objects", "s3.Bucket.from_bucket_name"
    ):
        return False
    prefix = location.prefix
    if not validation.check_type(problems, f"{prop}.prefix", prefix, str, "prefix='results/'"):
        return False
    if not validation.is_unresolved(prefix) and ("*" in prefix or "?" in prefix):
        problems.add(
            rules.NO_WILDCARD_KEY,
            f"{prop}.prefix",
            prefix,
            "a key prefix without * or ?",
            "name the prefix itself: IAM reads * and ? as wildcards, so grants would cover other objects",
        )
        return False
    return True


def bucket_acknowledgments(*, access_logs: str, replication: str) -> dict[str, str]:
    """The cdk-nag findings a `private_bucket` draws, with why each does not apply to its use."""
    return {
        "AwsSolutions-S1": access_logs,
        "HIPAA.Security-S3BucketLoggingEnabled": access_logs,
        "NIST.800.53.R5-S3BucketLoggingEnabled": access_logs,
        "HIPAA.Security-S3BucketReplicationEnabled": replication,
        "NIST.800.53.R5-S3BucketReplicationEnabled": replication,
    }


def private_bucket(
    scope: Construct, construct_id: str, kms_key: kms.IKey | None, acknowledgments: dict[str, str]
) -> s3.IBucket:
    """A bucket only the app's roles use: KMS-encrypted (``kms_key`` or S3's key), TLS only, public access
    blocked, versioned, retained when the stack is deleted; ``acknowledgments`` from `bucket_acknowledgments`."""
    from aws_cdk import RemovalPolicy
    from aws_cdk.aws_s3 import BlockPublicAccess, Bucket, BucketEncryption

    from .nag import acknowledge_nag_findings

    bucket = Bucket(
        scope,
        construct_id,
        encryption=BucketEncryption.KMS if kms_key else BucketEncryption.KMS_MANAGED,
        encryption_key=kms_key,
        enforce_ssl=True,
        block_public_access=BlockPublicAccess.BLOCK_ALL,
        versioned=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    acknowledge_nag_findings(bucket, acknowledgments)
    return bucket
