"""Core dumps: where SageMaker writes a crashed container's core dump (``ProductionVariant.CoreDumpConfig``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import aws_sagemaker as sagemaker

from . import api_model, validation
from .errors import Problems
from .s3_location import S3Location, check_location

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

    from .execution_role import ExecutionRole

SHAPE = "ProductionVariantCoreDumpConfig"


@dataclass(frozen=True, kw_only=True)
class CoreDump:
    """Keep the core dump of a container process that crashes, for debugging (instance variants only).

    SageMaker writes it with the execution role, which may write under ``destination`` (and use ``kms_key``
    through S3).

    :param destination: where core dumps land (``DestinationS3Uri``).
    :param kms_key: encrypts them. Default: - the bucket's own encryption.
    """

    destination: S3Location
    kms_key: kms.IKey | None = None

    def validate(self, problems: Problems, prop: str) -> None:
        """Add this choice's problems under the property name ``prop``."""
        if check_location(problems, f"{prop}.destination", self.destination):
            url = None if validation.is_unresolved(self.destination.bucket.bucket_name) else self.destination.url
            fix = "use a shorter prefix"
            validation.check_value(
                problems, f"{prop}.destination", url, api_model.member(SHAPE, "DestinationS3Uri"), fix
            )
        if self.kms_key is not None:
            write = "kms.Key.from_key_arn(...) or a kms.Key"
            validation.check_interface(problems, f"{prop}.kms_key", self.kms_key, "kms.IKey", "key_arn", write)

    def render(self) -> sagemaker.CfnEndpointConfig.CoreDumpConfigProperty:
        return sagemaker.CfnEndpointConfig.CoreDumpConfigProperty(
            destination_s3_uri=self.destination.url, kms_key_id=self.kms_key.key_arn if self.kms_key else None
        )

    def grant(self, role: ExecutionRole) -> None:
        """What SageMaker does with the variant's execution ``role``: write core dumps under the destination."""
        role.grant_s3_prefix_write(self.destination, self.kms_key)
