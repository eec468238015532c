"""Data capture: SageMaker copies a sample of requests and answers to S3 (``DataCaptureConfig``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import aws_sagemaker as sagemaker

from . import api_model, rules, validation
from .errors import Problems
from .s3_location import S3Location, check_location

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms

    from .execution_role import ExecutionRole

CAPTURE = "DataCaptureConfig"
HEADERS = "CaptureContentTypeHeader"


@dataclass(frozen=True, kw_only=True)
class DataCapture:
    """Capture a sample of an endpoint's requests and answers to S3, e.g. for Model Monitor.

    Not on serverless, multi-model or multi-container endpoints. Each served model's execution role may
    write under ``destination`` (and use ``kms_key`` through S3).

    :param destination: where captures land (``DestinationS3Uri``).
    :param sampling_percentage: the share of requests captured, 0 to 100. Default: 100.
    :param capture_input: capture requests. Default: True.
    :param capture_output: capture answers. Default: True.
    :param kms_key: encrypts the captures. Default: - the bucket's own encryption.
    :param csv_content_types: content types captured as CSV (1 to 10). Default: - SageMaker's.
    :param json_content_types: content types captured as JSON (1 to 10). Default: - SageMaker's.
    :param enabled: capture now; set False to pause without removing the settings. Default: True.
    """

    destination: S3Location
    sampling_percentage: int = 100
    capture_input: bool = True
    capture_output: bool = True
    kms_key: kms.IKey | None = None
    csv_content_types: Sequence[str] | None = None
    json_content_types: Sequence[str] | None = None
    enabled: bool = True

    def validate(self, problems: Problems, prop: str) -> None:
        """Add this choice's problems under the property name ``prop``."""
        if check_location(problems, f"{prop}.destination", self.destination):
            url = None if validation.is_unresolved(self.destination.bucket.bucket_name) else self.destination.url
            validation.check_value(
                problems,
                f"{prop}.destination",
                url,
                api_model.member(CAPTURE, "DestinationS3Uri"),
                "use a shorter prefix",
            )
        if self.sampling_percentage is None:  # check_value skips None; CloudFormation requires it
            validation.check_type(problems, f"{prop}.sampling_percentage", None, int, "sampling_percentage=20")
        validation.check_value(
            problems,
            f"{prop}.sampling_percentage",
            self.sampling_percentage,
            api_model.member(CAPTURE, "InitialSamplingPercentage"),
            "choose 0 to 100",
        )
        for name in ("capture_input", "capture_output", "enabled"):
            validation.check_type(problems, f"{prop}.{name}", getattr(self, name), bool, f"{name}=True or False")
        if not (self.capture_input or self.capture_output):
            problems.add(
                rules.DATA_CAPTURE,
                f"{prop}.capture_input",
                False,
                "capture_input, capture_output or both (CaptureOptions needs one)",
                "set capture_input=True or capture_output=True, or drop data_capture",
            )
        if self.kms_key is not None:
            validation.check_interface(
                problems, f"{prop}.kms_key", self.kms_key, "kms.IKey", "grant_decrypt", "kms.Key(scope, 'Key')"
            )
        for name in ("csv_content_types", "json_content_types"):
            types = getattr(self, name)
            if types is None or (isinstance(types, list) and validation.is_unresolved(types)):
                continue
            if not validation.check_type(problems, f"{prop}.{name}", types, (list, tuple), "['text/csv']"):
                continue
            member = "CsvContentTypes" if name.startswith("csv") else "JsonContentTypes"
            validation.check_count(
                problems, f"{prop}.{name}", list(types), api_model.member(HEADERS, member), "give 1 to 10"
            )
            for index, content_type in enumerate(types):
                example = "'text/csv'" if name.startswith("csv") else "'application/json'"
                if not validation.check_type(problems, f"{prop}.{name}[{index}]", content_type, str, example):
                    continue
                validation.check_value(
                    problems,
                    f"{prop}.{name}[{index}]",
                    content_type,
                    api_model.shape(member[:-1]),
                    "write type/subtype, e.g. text/csv or application/json",
                )

    def render(self) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty:
        modes = [mode for mode, wanted in (("Input", self.capture_input), ("Output", self.capture_output)) if wanted]
        headers = (
            sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                csv_content_types=list(self.csv_content_types) if self.csv_content_types else None,
                json_content_types=list(self.json_content_types) if self.json_content_types else None,
            )
            if self.csv_content_types or self.json_content_types
            else None
        )
        return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            capture_options=[sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=mode) for mode in modes],
            destination_s3_uri=self.destination.url,
            initial_sampling_percentage=self.sampling_percentage,
            kms_key_id=self.kms_key.key_arn if self.kms_key else None,
            capture_content_type_header=headers,
            enable_capture=self.enabled,
        )

    def grant(self, role: ExecutionRole) -> None:
        """What SageMaker does with a served model's ``role``: write captures under the destination."""
        role.grant_s3_prefix_write(self.destination, self.kms_key)
