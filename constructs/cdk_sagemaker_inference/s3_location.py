"""A bucket and a key prefix in it: where asynchronous requests, results and failures live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import rules, validation
from .errors import Problems

if TYPE_CHECKING:
    from aws_cdk import aws_s3 as s3


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
