"""A deploy-time smoke test: CloudFormation invokes the endpoint and fails the deploy on a wrong answer."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_cdk import CfnResource, CustomResource, Duration, Token
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from . import api_model, per_stack, rules, validation
from .endpoint_config import EndpointConfig
from .endpoint_core import EndpointCore, check_endpoint
from .errors import Problem, Problems, ValidationError
from .execution_role import via_s3
from .model import ModelBase
from .nag import acknowledge_nag_findings, stack_arn, wildcard_findings
from .s3_location import S3Location, check_location
from .smoke_test_provider import MAX_TEST_TIMEOUT, SERVICE_TIMEOUT, SmokeTestProvider

if TYPE_CHECKING:
    from .inference_component import InferenceComponent

RESOURCE_TYPE = "Custom::SageMakerEndpointSmokeTest"
RUNTIME_API = "sagemaker-runtime"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain"
# Body checks travel in the template (1 MB in all) and in the framework's Step Functions input (256 KiB).
MAX_BODY_CHECK_BYTES = 8 * 1024
DEFAULT_ASYNC_INPUT_PREFIX = "smoke-test-inputs/"
MAX_STACK_BODY_CHECK_BYTES = 256 * 1024
MEDIA_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7e]*)?")
DEFAULT_TIMEOUT = Duration.minutes(10)
MIN_TIMEOUT = Duration.minutes(1)
# A target at zero capacity answers once its scale-out alarm fired (a minute or two), an instance launched and
# the model loaded (several minutes for most models): the test must be allowed that long.
MIN_TIMEOUT_AT_ZERO_SECONDS = 15 * 60
TARGET_OPTIONS = {
    # option -> (the InvocationFeatures flag it needs, what that endpoint is)
    "target_model": ("multi_model", "a multi-model endpoint"),
    "inference_component_name": ("inference_components", "an inference-component endpoint"),
    "target_container_hostname": ("direct_containers", "a Direct multi-container endpoint"),
}


@dataclass(frozen=True)
class SmokeTestPayload:
    """What the smoke test sends: the body and its content type. It is stored in the template, so no secrets."""

    body: bytes
    content_type: str | None
    invalid: str | None = field(default=None, repr=False)
    """Why the value could not become the body (e.g. NaN in JSON); the smoke test reports it."""

    @staticmethod
    def from_json(value: Any, content_type: str = JSON_TYPE) -> SmokeTestPayload:
        """``value`` serialized as compact JSON (NaN and infinities are refused: they are not JSON)."""
        text, invalid = _json_text(value)
        return SmokeTestPayload(text.encode("utf-8"), content_type, invalid)

    @staticmethod
    def from_text(text: str, content_type: str = TEXT_TYPE) -> SmokeTestPayload:
        """``text`` encoded as UTF-8."""
        validation.check_arguments("SmokeTestPayload.from_text", [("text", text, str, "a string, e.g. 'ping'")])
        return SmokeTestPayload(text.encode("utf-8"), content_type)

    @staticmethod
    def from_bytes(body: bytes, content_type: str | None = None) -> SmokeTestPayload:
        """Raw bytes. Default content type: - none sent."""
        validation.check_arguments("SmokeTestPayload.from_bytes", [("body", body, bytes, "bytes, e.g. b'\\x00'")])
        return SmokeTestPayload(body, content_type)

    @staticmethod
    def from_file(path: str | Path, content_type: str | None = None) -> SmokeTestPayload:
        """A local file's bytes, read at synth (a change of the file runs the test again)."""
        validation.check_arguments("SmokeTestPayload.from_file", [("path", path, (str, PathLike), "a file's path")])
        if not Path(path).is_file():
            problem = Problem(
                rules.PAYLOAD_FILE, "path", str(path), "an existing file, read at synth", "check the path"
            )
            raise ValidationError("SmokeTestPayload.from_file", [problem])
        return SmokeTestPayload(Path(path).read_bytes(), content_type)


@dataclass(frozen=True)
class BodyCheck:
    """How the answer's body must look. Use the factories."""

    kind: str
    value: str
    invalid: str | None = field(default=None, repr=False)
    """Why the check could not be built (e.g. NaN in JSON); the smoke test reports it."""

    @staticmethod
    def equals(text: str) -> BodyCheck:
        """The body (decoded as UTF-8) is exactly ``text``."""
        return BodyCheck("equals", validation.checked("BodyCheck.equals", "text", text, str, "a string"))

    @staticmethod
    def contains(text: str) -> BodyCheck:
        """The body holds ``text``."""
        return BodyCheck("contains", validation.checked("BodyCheck.contains", "text", text, str, "a string"))

    @staticmethod
    def matches(pattern: str) -> BodyCheck:
        """A Python regular expression found somewhere in the body (``re.search``)."""
        return BodyCheck("matches", validation.checked("BodyCheck.matches", "pattern", pattern, str, "a string"))

    @staticmethod
    def json_subset(value: Any) -> BodyCheck:
        """The body is JSON holding ``value``: every key of an object (extra keys allowed), arrays item by item."""
        text, invalid = _json_text(value)
        return BodyCheck("json", text, invalid)


@dataclass(frozen=True, kw_only=True)
class ExpectedResponse:
    """What a passing answer has.

    :param status: the HTTP status the model's container answers with. Default: 200.
    :param content_type: the answer's media type (parameters such as charset ignored). Default: - any.
    :param body: a check of the body. Default: - any body.
    """

    status: int = 200
    content_type: str | None = None
    body: BodyCheck | None = None


@dataclass(frozen=True, kw_only=True)
class AsyncLocations:
    """Where an asynchronous smoke test puts its input and finds the result.

    For an asynchronous endpoint this library defines, every location defaults from its config: only the
    input prefix is the test's own (and the served models' roles are granted read on it).

    :param input: where the payload is uploaded, under ``<prefix><request id>/``. Default: - for an endpoint
        defined here, the config's results bucket, prefix ``smoke-test-inputs/``; required for an import.
    :param output: the endpoint's S3OutputPath; needed to check the answer. Default: - the config's output
        for an endpoint defined here, else only the acceptance of the invocation is checked.
    :param failure: the endpoint's S3FailurePath. Default: - the config's failure location for an endpoint
        defined here, else failures are seen only as a missing output.
    :param invocation_timeout: how long SageMaker lets the container work on the request (InvokeEndpointAsync's
        ``InvocationTimeoutSeconds``), at most the test's timeout: a model that hangs fails the test then, with
        SageMaker's failure record, instead of at the test's timeout. Default: - the test's timeout.
    """

    input: S3Location | None = None
    output: S3Location | None = None
    failure: S3Location | None = None
    invocation_timeout: Duration | None = None


class EndpointSmokeTest(Construct):
    """Invokes ``endpoint`` during ``cdk deploy`` and fails the deploy when the answer is wrong.

    A custom resource of the stack's one `SmokeTestProvider`: after the endpoint is InService on the
    config this deploy asked for, the payload is sent and the answer checked against ``expect``. A
    different config (SageMaker rolled back) or a wrong answer fails the deploy with a message naming
    the endpoint, the config and how the answer differs. Every config change runs the test again (the
    config name is a property); Delete and CloudFormation rollbacks do nothing.

    The payload travels as an S3 asset (``payload_asset``), not in the template, so neither the template
    nor the Provider framework's logs (which print every request's properties) hold it.

    :param endpoint: the endpoint, defined by this library or imported.
    :param payload: what to send, at most InvokeEndpoint's body limit (6 MB).
    :param expect: what a passing answer has. Default: - status 200, any body.
    :param accept: the Accept header. Default: - none sent.
    :param target_variant: send to this variant only. Default: - weighted routing picks one.
    :param target_model: the model of a multi-model endpoint (path under its prefix). Default: - none.
    :param inference_component: the `InferenceComponent` to call: the test waits until it is InService and
        runs again whenever it changes. Default: - none.
    :param inference_component_name: the inference component to call by name (e.g. one not defined in this
        app). Default: - none.
    :param target_container_hostname: the container of a Direct multi-container endpoint. Default: - none.
    :param async_locations: invoke asynchronously through these S3 locations. Default: - synchronous.
    :param timeout: how long the test may wait for InService and the answer, 1 to 45 minutes.
        Default: 10 minutes.
    :param reveal_answers: quote the payload and the model's answer (cut to 300 characters) in failure
        reasons and logs. Default: False - only sizes, statuses, content types and what was expected.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: EndpointCore,
        payload: SmokeTestPayload,
        expect: ExpectedResponse | None = None,
        accept: str | None = None,
        target_variant: str | None = None,
        target_model: str | None = None,
        inference_component: InferenceComponent | None = None,
        inference_component_name: str | None = None,
        target_container_hostname: str | None = None,
        async_locations: AsyncLocations | None = None,
        timeout: Duration | None = None,
        reveal_answers: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.reveal_answers = reveal_answers
        self._body_check_bytes = 0
        self.endpoint = endpoint
        self.payload = payload
        self.expect = expect or ExpectedResponse()
        self.async_locations = async_locations
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.inference_component = inference_component
        if inference_component is not None and inference_component_name is None:  # a component's own name
            inference_component_name = getattr(inference_component, "inference_component_name", None)
        targets = {
            "target_variant": target_variant,
            "target_model": target_model,
            "inference_component_name": inference_component_name,
            "target_container_hostname": target_container_hostname,
        }
        self.targets = {option: value for option, value in targets.items() if value is not None}
        self._validate(accept)
        self.provider = SmokeTestProvider.of(self)
        self.provider.body_check_bytes += self._body_check_bytes
        self.payload_asset = s3_assets.Asset(self, "Payload", path=str(stage_payload(self.payload.body)))
        self._grant()
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=self._properties(accept),
            service_timeout=SERVICE_TIMEOUT,
        )
        self.resource.node.add_dependency(self.provider.policy.policy)
        if endpoint.resource is not None:  # defined here: test once it is created or updated
            self.resource.node.add_dependency(endpoint.resource)
        if inference_component is not None:
            self.resource.node.add_dependency(inference_component.resource)

    def _properties(self, accept: str | None) -> dict[str, str]:
        expect = self.expect
        config = self.endpoint.endpoint_config
        properties: dict[str, str | None] = {
            "EndpointName": self.endpoint.endpoint_name,
            # The config name changes with every config change, so each one runs the test again.
            "ExpectedEndpointConfigName": config.endpoint_config_name if config is not None else None,
            "Invocation": "async" if self.async_locations else "sync",
            "PayloadBucket": self.payload_asset.s3_bucket_name,
            "PayloadKey": self.payload_asset.s3_object_key,
            "ContentType": self.payload.content_type,
            "Accept": accept,
            "ExpectedStatus": str(expect.status),
            "ExpectedContentType": expect.content_type,
            "BodyCheck": expect.body.kind if expect.body else None,
            "BodyValue": expect.body.value if expect.body else None,
            "TimeoutSeconds": _whole_seconds(self.timeout),
            "RevealAnswers": "true" if self.reveal_answers else None,
            # Changes with the component's model, compute or copies, so each such change runs the test again.
            "InferenceComponentRevision": self.inference_component.revision if self.inference_component else None,
        }
        for option, value in self.targets.items():
            properties[_parameter(option)] = value
        invocation_timeout = self.async_locations.invocation_timeout if self.async_locations else None
        if invocation_timeout is not None:
            properties["InvocationTimeoutSeconds"] = _whole_seconds(invocation_timeout)
        if self.async_locations and self.async_locations.input:
            properties["AsyncInputBucket"] = self.async_locations.input.bucket.bucket_name
            properties["AsyncInputPrefix"] = self.async_locations.input.prefix
        return {key: value for key, value in properties.items() if value is not None}

    def _grant(self) -> None:
        """Invoke and describe this endpoint; with async, the S3 objects under its locations."""
        policy = self.provider.policy
        invoke = "sagemaker:InvokeEndpointAsync" if self.async_locations else "sagemaker:InvokeEndpoint"
        policy.allow(["sagemaker:DescribeEndpoint", invoke], [self.endpoint.endpoint_arn])
        asset = self.payload_asset
        policy.allow(["s3:GetObject"], [asset.bucket.arn_for_objects(asset.s3_object_key)])
        component = self.targets.get("inference_component_name")
        if component is not None:  # the handler waits for it to be InService
            arn = (
                self.inference_component.inference_component_arn
                if self.inference_component
                else stack_arn(
                    per_stack.facts(self), "sagemaker", f"inference-component/{validation.arn_name(component)}"
                ).arn
            )
            policy.allow(["sagemaker:DescribeInferenceComponent"], [arn])
        if self.async_locations is None:
            return
        before = len(policy.statements)
        locations = self.async_locations
        assert locations.input is not None, "validated"
        reads = [location for location in (locations.output, locations.failure) if location is not None]
        policy.allow(["s3:PutObject", "s3:GetObject"], [locations.input.objects_arn])
        config = self.endpoint.endpoint_config
        for variant in config.production_variants if config is not None else ():
            for model in variant.models:
                if model.execution_role is not None:  # SageMaker reads the request with the model's role
                    model.execution_role.grant_s3_prefix_read(locations.input)
        for location in reads:
            policy.allow(["s3:GetObject"], [location.objects_arn])
        for location in [locations.input, *reads]:
            # Without ListBucket a missing result object reads as AccessDenied instead of NoSuchKey.
            policy.allow(
                ["s3:ListBucket"],
                [location.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{location.prefix}*"]}},
            )
            if location.bucket.encryption_key is not None:
                policy.allow(
                    ["kms:Decrypt", "kms:GenerateDataKey"],
                    [location.bucket.encryption_key.key_arn],
                    conditions=via_s3(per_stack.facts(self)),
                )
        added = {"Statement": policy.statements[before:]}
        reason = (
            "the smoke test writes and reads objects named after each deploy request under this prefix, and "
            "SageMaker names the results; the grant is limited to the prefix"
        )
        acknowledge_nag_findings(policy.policy, dict.fromkeys(wildcard_findings(policy.policy, added), reason))

    def _validate(self, accept: str | None) -> None:
        problems = Problems()
        if not self._validate_types(problems, accept):
            problems.raise_if_any(self)
        self.async_locations = self._locations_from_config(self.async_locations)
        if self.async_locations is not None and self.async_locations.input is None:
            problems.add(
                rules.ASYNC_SMOKE_TEST,
                "async_locations.input",
                None,
                "an input location for an asynchronous test of an imported endpoint",
                "give AsyncLocations(input=S3Location(bucket, 'smoke/')), a prefix the endpoint's role may read",
            )
        seconds = validation.seconds_of(problems, "timeout", self.timeout)
        self._validate_invocation_timeout(problems, seconds)
        low, high = MIN_TIMEOUT.to_seconds(), MAX_TEST_TIMEOUT.to_seconds()
        if seconds is not None and not validation.is_unresolved(seconds) and not low <= seconds <= high:
            problems.add(
                rules.SMOKE_TEST_TIMEOUT,
                "timeout",
                f"{seconds:g} seconds",
                f"whole seconds from {low:.0f} to {high:.0f}",
                "give e.g. Duration.minutes(10); a test that needs longer belongs in a pipeline, not in a deploy",
            )
        if self.payload.invalid:
            problems.add(
                rules.FINITE_JSON, "payload", self.payload.invalid, "a JSON value", _json_fix(self.payload.invalid)
            )
        body_limit = int(api_model.member("InvokeEndpointInput", "Body", RUNTIME_API).max or 0)
        if len(self.payload.body) > body_limit:
            problems.add(
                rules.SMOKE_TEST_SIZE,
                "payload",
                f"{len(self.payload.body)} bytes",
                f"at most {body_limit} bytes (InvokeEndpoint's body limit, shape BodyBlob of sagemaker-runtime)",
                "send a smaller representative request",
            )
        check_media_type(problems, "payload.content_type", self.payload.content_type)
        check_media_type(problems, "accept", accept)
        self._validate_expectation(problems)
        self._validate_targets(problems)
        problems.raise_if_any(self)

    def _validate_invocation_timeout(self, problems: Problems, test_seconds: float | int | None) -> None:
        """Whole seconds from 1 (InvokeEndpointAsync's minimum) to the test's own timeout."""
        given = self.async_locations.invocation_timeout if self.async_locations else None
        if given is None:
            return
        prop = "async_locations.invocation_timeout"
        seconds = validation.seconds_of(problems, prop, given)
        constraint = api_model.member("InvokeEndpointAsyncInput", "InvocationTimeoutSeconds", RUNTIME_API)
        validation.check_value(problems, prop, seconds, constraint, "choose a Duration in range")
        literal = [v for v in (seconds, test_seconds) if v is not None and not validation.is_unresolved(v)]
        if len(literal) == 2 and literal[0] > literal[1]:
            problems.add(
                rules.SMOKE_TEST_TIMEOUT,
                prop,
                f"{literal[0]:g} seconds",
                f"at most the test's timeout ({literal[1]:g} s): the test stops waiting then",
                "shorten the invocation timeout or lengthen the test's timeout",
            )

    def _locations_from_config(self, given: AsyncLocations | None) -> AsyncLocations | None:
        """The test's locations: those given, completed from an asynchronous config defined here."""
        config = self.endpoint.endpoint_config
        bound = config.async_inference if config is not None else None
        if bound is None:
            return given
        given = given or AsyncLocations()
        return AsyncLocations(
            input=given.input or S3Location(bound.output.bucket, DEFAULT_ASYNC_INPUT_PREFIX),
            output=given.output or bound.output,
            failure=given.failure or bound.failure,
            invocation_timeout=given.invocation_timeout,
        )

    def _validate_types(self, problems: Problems, accept: object) -> bool:
        """Wrong types first: the other checks read the options' fields."""
        checks = [
            check_endpoint(problems, "endpoint", self.endpoint),
            validation.check_type(
                problems, "payload", self.payload, SmokeTestPayload, "SmokeTestPayload.from_json({...})"
            ),
            validation.check_type(
                problems, "expect", self.expect, ExpectedResponse, "ExpectedResponse(status=200, body=...)"
            ),
        ]
        if accept is not None:
            checks.append(validation.check_type(problems, "accept", accept, str, "accept='application/json'"))
        locations = self.async_locations
        if locations is not None:
            checks.append(
                validation.check_type(
                    problems, "async_locations", locations, AsyncLocations, "AsyncLocations(input=...)"
                )
            )
            if isinstance(locations, AsyncLocations):
                for name in ("input", "output", "failure"):
                    if getattr(locations, name) is not None:
                        checks.append(check_location(problems, f"async_locations.{name}", getattr(locations, name)))
        for option, value in self.targets.items():
            checks.append(validation.check_type(problems, option, value, str, f"{option}='name'"))
        if self.inference_component is not None:
            from .inference_component import InferenceComponent

            checks.append(
                validation.check_type(
                    problems, "inference_component", self.inference_component, InferenceComponent, "a component"
                )
            )
        if isinstance(self.expect, ExpectedResponse) and self.expect.body is not None:
            checks.append(
                validation.check_type(problems, "expect.body", self.expect.body, BodyCheck, "BodyCheck.contains('...')")
            )
        return all(checks)

    def _validate_expectation(self, problems: Problems) -> None:
        expect = self.expect
        status = expect.status
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            problems.add(
                rules.HTTP_STATUS, "expect.status", status, "an integer HTTP status from 100 to 599", "e.g. 200"
            )
        check_media_type(problems, "expect.content_type", expect.content_type)
        body = expect.body
        if body is not None:
            if body.invalid:
                problems.add(rules.FINITE_JSON, "expect.body", body.invalid, "a JSON value", _json_fix(body.invalid))
            size = len(body.value.encode("utf-8"))
            if size > MAX_BODY_CHECK_BYTES:
                problems.add(
                    rules.SMOKE_TEST_SIZE,
                    "expect.body",
                    f"{size} bytes",
                    f"at most {MAX_BODY_CHECK_BYTES} bytes (the check is stored in the template)",
                    "check a smaller, characteristic part of the answer",
                )
            elif SmokeTestProvider.body_check_bytes_of(self) + size > MAX_STACK_BODY_CHECK_BYTES:
                problems.add(
                    rules.SMOKE_TEST_SIZE,
                    "expect.body",
                    f"{size} bytes, after {SmokeTestProvider.body_check_bytes_of(self)} bytes of this stack's other "
                    "smoke tests",
                    f"at most {MAX_STACK_BODY_CHECK_BYTES} bytes of body checks per stack (a template holds 1 MB)",
                    "check smaller parts of the answers, or spread the smoke tests over stacks",
                )
            else:
                self._body_check_bytes = size
            if body.kind == "matches":
                validation.check_regex(problems, "expect.body", body.value)
        if self.async_locations is None:
            return
        checks_answer = expect.body is not None or expect.content_type is not None
        if checks_answer and self.async_locations.output is None:
            problems.add(
                rules.ASYNC_SMOKE_TEST,
                "expect",
                expect,
                "a body or content-type check only with async_locations.output (where the answer lands)",
                "give AsyncLocations(output=S3Location(bucket, prefix)) matching the endpoint's S3OutputPath, or "
                "drop the body and content-type checks",
            )
        if expect.status != 200:
            problems.add(
                rules.ASYNC_SMOKE_TEST,
                "expect.status",
                expect.status,
                "200 for an asynchronous test (the container's status is not in the result)",
                "check the failure location instead: give AsyncLocations(failure=...)",
            )

    def _validate_targets(self, problems: Problems) -> None:
        for option, value in self.targets.items():
            rule = api_model.member("InvokeEndpointInput", _parameter(option), RUNTIME_API)
            validation.check_value(problems, option, value, rule, "see InvokeEndpoint's parameters")
        if self.async_locations is not None:
            for option in self.targets:
                problems.add(
                    rules.ASYNC_SMOKE_TEST,
                    option,
                    self.targets[option],
                    "no target with async_locations: InvokeEndpointAsync takes none",
                    "drop it, or test synchronously (without async_locations)",
                )
        config = self.endpoint.endpoint_config
        if config is None:  # an imported endpoint: its kind is unknown
            return
        features = config.invocation_features
        if self.async_locations is not None and not features.asynchronous:
            problems.add(
                rules.INVOCATION_KIND,
                "async_locations",
                "given",
                "only for an endpoint whose config has asynchronous inference",
                "drop async_locations: this endpoint answers InvokeEndpoint",
            )
        per_stack.at_validation(per_stack.facts(self).stack, self._validate_against_variants)

    def _validate_against_variants(self) -> list[ValidationError]:
        """At synth, after every ``add_*()``: the targets fit the config's variants as they are then."""
        config = self.endpoint.endpoint_config
        assert config is not None
        problems = Problems()
        features = config.invocation_features
        for option, (flag, kind) in TARGET_OPTIONS.items():
            if option in self.targets and not getattr(features, flag):
                problems.add(
                    rules.INVOCATION_KIND,
                    option,
                    self.targets[option],
                    f"only on {kind}",
                    f"drop {option}: this endpoint is not one",
                )
        if features.direct_containers and "target_container_hostname" not in self.targets:
            models = [model for variant in config.production_variants for model in variant.models]
            hostnames = sorted({name for model in models for name in getattr(model, "container_hostnames", ())})
            problems.add(
                rules.KNOWN_TARGET,
                "target_container_hostname",
                None,
                f"the container to call, one of {hostnames}: a Direct multi-container endpoint runs only the "
                "container a call names",
                "give target_container_hostname=...",
            )
        variant = self.targets.get("target_variant")
        names = [variant.variant_name for variant in config.production_variants]
        if variant is not None and not validation.is_unresolved(variant) and variant not in names:
            problems.add(
                rules.KNOWN_VARIANT, "target_variant", variant, f"one of the endpoint's variants: {names}", "name one"
            )
        self._validate_known_targets(problems, config)
        if self.may_be_at_zero():
            self._wait_out_zero_capacity(problems)
        return [ValidationError(self.node.path, problems.items)] if problems.items else []

    def may_be_at_zero(self) -> bool:
        """The target may have no capacity when the test runs: an asynchronous endpoint or a component whose
        scaling minimum is 0, or a component whose host's managed scaling may reach 0 instances."""
        from .scaling import ScalableCapacity

        owner = self.inference_component or self.endpoint
        scaled = [child for child in owner.node.children if isinstance(child, ScalableCapacity)]
        if any(capacity.min_capacity == 0 for capacity in scaled):
            return True
        config = self.endpoint.endpoint_config
        hosts = config.production_variants if config is not None and self.inference_component else []
        managed = [getattr(host, "managed_instance_scaling", None) for host in hosts]
        return any(scaling is not None and scaling.min_instance_count == 0 for scaling in managed)

    def _wait_out_zero_capacity(self, problems: Problems) -> None:
        """Tell the handler to wait out "no capacity" answers, and check the timeout leaves time to scale out."""
        resource = self.resource.node.default_child
        assert isinstance(resource, CfnResource)
        resource.add_property_override("MayBeAtZero", "true")
        seconds = validation.rendered_seconds(self.timeout)
        known = isinstance(seconds, int | float) and not validation.is_unresolved(seconds)
        if known and seconds < MIN_TIMEOUT_AT_ZERO_SECONDS:  # type: ignore[operator]
            problems.add(
                rules.SMOKE_TEST_TIMEOUT,
                "timeout",
                f"{seconds:g} s",
                f"at least {MIN_TIMEOUT_AT_ZERO_SECONDS} s for a target that may have scaled to zero: its scale-out "
                "alarm, an instance launch and the model's load come first",
                f"give timeout=Duration.minutes({MIN_TIMEOUT_AT_ZERO_SECONDS // 60}) or more, or a minimum of 1",
            )

    def _validate_known_targets(self, problems: Problems, config: EndpointConfig) -> None:
        """A literal target model is one the app uploads (when it uploads any), a hostname one a Direct model has,
        and a component one on this endpoint."""
        models = [model for variant in config.all_variants for model in variant.models if isinstance(model, ModelBase)]
        uploaded = {key for model in models if model.multi_model_data for key in model.multi_model_data.uploaded}
        hostnames = {name for model in models for name in model.container_hostnames}
        checks = (
            ("target_model", uploaded, "use data.target_model(name)"),
            ("target_container_hostname", hostnames, "name one"),
        )
        for option, known, fix in checks:
            value = self.targets.get(option)
            if known and value is not None and not validation.is_unresolved(value) and value not in known:
                problems.add(rules.KNOWN_TARGET, option, value, f"one of {sorted(known)}", fix)
        component = self.inference_component
        if component is not None and component.endpoint is not self.endpoint:
            problems.add(
                rules.KNOWN_TARGET,
                "inference_component",
                component.node.path,
                f"a component on this endpoint ({self.endpoint.node.path})",
                "test it through its own endpoint",
            )


def _whole_seconds(duration: Duration) -> str:
    """``"600"``, or the string form of a deploy-time Duration's token (validated before)."""
    seconds = validation.rendered_seconds(duration)
    return Token.as_string(seconds) if validation.is_unresolved(seconds) else str(seconds)


def stage_payload(body: bytes, staging_root: Path | None = None) -> Path:
    """``body`` in a file named after its SHA-256, for the payload asset (Default root: the temp folder)."""
    folder = (staging_root or Path(tempfile.gettempdir()) / "cdk-sagemaker-inference") / "payloads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(body).hexdigest()}.bin"
    if not path.is_file():
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(body)
        os.replace(partial, path)
    return path


def _json_text(value: Any) -> tuple[str, str | None]:
    """Compact JSON of ``value``, and why it failed (then the text is empty)."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False), None
    except (ValueError, TypeError, RecursionError) as error:
        return "", f"{type(error).__name__}: {error}"


def _json_fix(invalid: str) -> str:
    """What to change, by why `_json_text` failed."""
    if "not JSON serializable" in invalid:
        return "use JSON types only: dict, list, str, int, float, bool, None (e.g. list(...) for a set or tuple)"
    if "Circular reference" in invalid or "RecursionError" in invalid:
        return "remove the cycle: a value that contains itself has no JSON form"
    return "give finite numbers (NaN and infinities are not JSON)"


def check_media_type(problems: Problems, prop: str, value: str | None) -> None:
    """``type/subtype`` (parameters allowed) in printable ASCII, within InvokeEndpoint's header limits."""
    if value is None or validation.is_unresolved(value):
        return
    if not validation.check_type(problems, prop, value, str, f"{prop}='application/json'"):
        return
    header = api_model.member("InvokeEndpointInput", "ContentType", RUNTIME_API)
    validation.check_value(problems, prop, value, header, "use a shorter ASCII media type")
    if not MEDIA_TYPE.fullmatch(value):
        problems.add(
            rules.MEDIA_TYPE,
            prop,
            value,
            "type/subtype in printable ASCII, e.g. application/json or text/csv; charset=utf-8",
            "write a media type without spaces inside type/subtype, CR or LF",
        )


def _parameter(option: str) -> str:
    """``target_model`` -> ``TargetModel``: the InvokeEndpoint parameter an option sets."""
    return "".join(word.capitalize() for word in option.split("_"))
