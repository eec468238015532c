"""A local moto server (127.0.0.1, a free port) that the smoke-test handler talks to over real HTTP."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.sagemakerruntime.models import SageMakerRuntimeBackend
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
PAYLOAD_BUCKET, PAYLOAD_KEY = "cdk-assets", "0123abcd.bin"  # where the construct's payload asset lands
PAYLOAD = json.dumps({"text": "great"}).encode()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as env:
        # Every boto3 client (the handler's too) goes to the local server; no AWS account is touched.
        env.setenv("AWS_ENDPOINT_URL", url)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.delenv("AWS_PROFILE", raising=False)
        yield url
    server.stop()


@pytest.fixture
def aws(moto_url: str) -> Iterator[str]:
    """A moto server emptied before each test, holding the default payload as the asset bucket would."""
    post(f"{moto_url}/moto-api/reset", {})
    s3: Any = client("s3")
    s3.create_bucket(Bucket=PAYLOAD_BUCKET)
    s3.put_object(Bucket=PAYLOAD_BUCKET, Key=PAYLOAD_KEY, Body=PAYLOAD)
    yield moto_url


def post(url: str, payload: object) -> None:
    """POST JSON to moto's own API (reset, seeded results)."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status in (200, 201)


def client(service: str) -> object:
    return boto3.client(service, region_name=REGION)


@pytest.fixture
def invoke_calls(monkeypatch):
    """Replace moto's InvokeEndpoint with queued outcomes (an answer or an error); records the requests."""
    calls = []
    outcomes = []
    original = SageMakerRuntimeBackend.invoke_endpoint

    def invoke(backend, endpoint_name, unique_repr):
        calls.append(json.loads(base64.b64decode(unique_repr)))
        outcome = outcomes.pop(0) if outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        return original(backend, endpoint_name, unique_repr)

    monkeypatch.setattr(SageMakerRuntimeBackend, "invoke_endpoint", invoke)
    return calls, outcomes
