"""Asynchronous inference: requests queue at the endpoint, results and failures land in S3, SNS tells.

`AsyncInference` is the choice an `EndpointConfig` takes; `bind` defines the results bucket when none is
given, renders ``AsyncInferenceConfig`` and grants every served model's execution role exactly what
SageMaker does on its behalf: write results and failures under their prefixes (with their keys), publish
to the topics (with theirs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import api_model, validation
from .errors import Problems
from .s3_location import S3Location, bucket_acknowledgments, check_location, private_bucket

if TYPE_CHECKING:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

    from .execution_role import ExecutionRole

OUTPUT = "AsyncInferenceOutputConfig"
DEFAULT_OUTPUT_PREFIX = "results/"
DEFAULT_FAILURE_PREFIX = "failures/"
BUCKET_ID = "AsyncResults"
# Published for instance variants, but not when the endpoint is asynchronous.
UNPUBLISHED_METRICS = frozenset({"Invocations", "InvocationsPerInstance", "OverheadLatency"})
VARIANT_METRICS = frozenset(
    {"RequestDownloadFailures", "ResponseUploadFailures", "NotificationFailures", "ExpiredRequests",
     "InvocationFailures", "RequestDownloadLatency", "ResponseUploadLatency", "InvocationsProcesssed",
     "TimeInBacklog", "TotalProcessingTime"}
)  # fmt: skip
# Published per asynchronous endpoint (dimension EndpointName only), with the one statistic some take.
ENDPOINT_METRICS: dict[str, str | None] = {
    "ApproximateBacklogSize": None,
    "ApproximateBacklogSizePerInstance": None,
    "ApproximateAgeOfOldestRequest": None,
    "HasBacklogWithoutCapacity": "Average",
}
ACCESS_LOG_REASON = (
    "the library cannot know the account's access-log bucket; results are written only by the endpoint's own "
    "role and read by callers (CloudTrail data events can record both): pass AsyncInference(output=...) a bucket "
    "of your own with server access logging where it is required"
)
REPLICATION_REASON = (
    "results can be produced again by invoking the endpoint again; pass AsyncInference(output=...) a replicated "
    "bucket where results must survive a Regional outage"
)
BUCKET_ACKNOWLEDGMENTS = bucket_acknowledgments(access_logs=ACCESS_LOG_REASON, replication=REPLICATION_REASON)


@dataclass(frozen=True, kw_only=True)
class AsyncInference:
    """Asynchronous inference for an `EndpointConfig` of instance variants: only InvokeEndpointAsync then.

    :param output: where results land (``S3OutputPath``). Default: - a bucket the config defines
        (KMS-encrypted, TLS only, public access blocked, versioned, retained when the stack is deleted so no
        result is lost), prefix ``results/``.
    :param failure: where failures land (``S3FailurePath``). Default: - the output bucket, prefix ``failures/``.
    :param success_topic: SNS topic told of each result. Default: - none.
    :param error_topic: SNS topic told of each failure. Default: - none.
    :param kms_key: encrypts results and failures. Default: - the bucket's own encryption.
    :param max_concurrent_invocations_per_instance: requests the model gets at once, 1 to 1000.
        Default: - SageMaker chooses.
    :param input_locations: where callers upload requests (InvokeEndpointAsync's InputLocation): SageMaker reads
        them with the served models' roles, which may read these prefixes (and decrypt through S3 with their
        buckets' keys). Default: - none (only a smoke test's own input prefix is readable).
    """

    output: S3Location | None = None
    failure: S3Location | None = None
    success_topic: sns.ITopic | None = None
    error_topic: sns.ITopic | None = None
    kms_key: kms.IKey | None = None
    max_concurrent_invocations_per_instance: int | None = None
    input_locations: Sequence[S3Location] = ()

    def validate(self, problems: Problems, prop: str) -> None:
        """Add this choice's problems under the property name ``prop``."""
        if validation.check_type(
            problems, f"{prop}.input_locations", self.input_locations, (list, tuple), "[S3Location(bucket, 'in/')]"
        ):
            for index, location in enumerate(self.input_locations):
                check_location(problems, f"{prop}.input_locations[{index}]", location)
        for name in ("output", "failure"):
            location = getattr(self, name)
            if location is not None and check_location(problems, f"{prop}.{name}", location):
                validation.check_value(
                    problems,
                    f"{prop}.{name}",
                    None if validation.is_unresolved(location.bucket.bucket_name) else location.url,
                    api_model.member(OUTPUT, "S3OutputPath"),
                    "use a shorter prefix",
                )
        for name in ("success_topic", "error_topic"):
            topic = getattr(self, name)
            if topic is not None:
                validation.check_interface(
                    problems, f"{prop}.{name}", topic, "sns.ITopic", "topic_arn", "sns.Topic(scope, 'Topic')"
                )
        if self.kms_key is not None:
            validation.check_interface(
                problems, f"{prop}.kms_key", self.kms_key, "kms.IKey", "grant_decrypt", "kms.Key(scope, 'Key')"
            )
        validation.check_value(
            problems,
            f"{prop}.max_concurrent_invocations_per_instance",
            self.max_concurrent_invocations_per_instance,
            api_model.member("AsyncInferenceClientConfig", "MaxConcurrentInvocationsPerInstance"),
            "choose 1 to 1000, or leave it to SageMaker",
        )

    def bind(self, scope: Construct) -> BoundAsyncInference:
        """Define the results bucket under ``scope`` if none is given; the locations are then known."""
        output = self.output
        if output is None:
            bucket = private_bucket(scope, BUCKET_ID, self.kms_key, BUCKET_ACKNOWLEDGMENTS)
            output = S3Location(bucket, DEFAULT_OUTPUT_PREFIX)
        failure = self.failure or S3Location(output.bucket, DEFAULT_FAILURE_PREFIX)
        return BoundAsyncInference(self, output, failure)


@dataclass(frozen=True)
class BoundAsyncInference:
    """An `AsyncInference` whose locations are known: what a config renders and grants."""

    options: AsyncInference
    output: S3Location
    failure: S3Location

    def render(self) -> sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty:
        options = self.options
        topics = {"success_topic": options.success_topic, "error_topic": options.error_topic}
        notification = (
            sagemaker.CfnEndpointConfig.AsyncInferenceNotificationConfigProperty(
                **{name: topic.topic_arn for name, topic in topics.items() if topic is not None}
            )
            if any(topics.values())
            else None
        )
        client = options.max_concurrent_invocations_per_instance
        return sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty(
            output_config=sagemaker.CfnEndpointConfig.AsyncInferenceOutputConfigProperty(
                s3_output_path=self.output.url,
                s3_failure_path=self.failure.url,
                kms_key_id=options.kms_key.key_arn if options.kms_key else None,
                notification_config=notification,
            ),
            client_config=sagemaker.CfnEndpointConfig.AsyncInferenceClientConfigProperty(
                max_concurrent_invocations_per_instance=client
            )
            if client is not None
            else None,
        )

    def grant(self, role: ExecutionRole) -> None:
        """What SageMaker does with ``role`` for an asynchronous endpoint: read requests from the input locations,
        write results, publish to topics."""
        for location in (self.output, self.failure):
            role.grant_s3_prefix_write(location, self.options.kms_key)
        for location in self.options.input_locations:
            role.grant_s3_prefix_read(location)
        for topic in (self.options.success_topic, self.options.error_topic):
            if topic is not None:
                role.grant_topic_publish(topic)
