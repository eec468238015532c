"""The one smoke-test provider of a stack: `DeployTimeProvider` of the ``smoke_test`` handler, polling."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from constructs import Construct

from .deploy_time_provider import DeployTimeProvider, HandlerSpec

QUERY_INTERVAL = Duration.seconds(10)
# The handler makes a call only while the invocation has time for its worst case (see handler.worst_case_seconds).
ON_EVENT_TIMEOUT = Duration.minutes(1)
IS_COMPLETE_TIMEOUT = Duration.minutes(5)
# The handler enforces each test's own timeout (at most MAX_TEST_TIMEOUT) with a clear message; the
# framework's total timeout and the custom resource's service timeout are backstops, each later.
MAX_TEST_TIMEOUT = Duration.minutes(45)
PROVIDER_TOTAL_TIMEOUT = Duration.minutes(50)  # a whole number of query intervals
SERVICE_TIMEOUT = Duration.minutes(55)  # CloudFormation's limit is 60


class SmokeTestProvider(DeployTimeProvider):
    """Runs every smoke test of a stack: get it with `SmokeTestProvider.of`, never construct it twice.

    ``on_event`` answers at once, ``is_complete`` polls every 10 s; each smoke test extends the shared
    ``policy`` with its endpoint's ARN. ``body_check_bytes`` counts the body checks the template holds.
    """

    PROVIDER_ID = "SageMakerSmokeTestProvider"

    SPEC = HandlerSpec(
        module="handler",
        handler="smoke_test",
        description="SageMaker endpoint smoke test",
        calls="SageMaker, S3, CloudFormation, Lambda, Step Functions",
        logs="endpoint names, statuses, sizes and the expected answers, all already in the template (payloads and "
        "answers only where a test reveals them)",
        on_event_timeout=ON_EVENT_TIMEOUT,
        is_complete_timeout=IS_COMPLETE_TIMEOUT,
        query_interval=QUERY_INTERVAL,
        total_timeout=PROVIDER_TOTAL_TIMEOUT,
    )

    def __init__(self, scope: Construct, construct_id: str) -> None:
        self.body_check_bytes = 0  # of this stack's smoke tests, which the template holds
        super().__init__(scope, construct_id)

    @staticmethod
    def body_check_bytes_of(scope: Construct) -> int:
        """The bytes of body checks the smoke tests of ``scope``'s stack hold so far (0 before the first)."""
        existing = Stack.of(scope).node.try_find_child(SmokeTestProvider.PROVIDER_ID)
        return existing.body_check_bytes if isinstance(existing, SmokeTestProvider) else 0
