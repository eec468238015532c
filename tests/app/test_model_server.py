"""The sample model server over real HTTP on 127.0.0.1, as SageMaker would call it."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.support import ROOT

SERVER = ROOT / "containers" / "sentiment-server" / "serve.py"
MODEL_DIR = ROOT / "containers" / "sentiment-model"
START_TIMEOUT_S = 20


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(**env):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "serve"],
        env={
            **os.environ,
            "SM_MODEL_DIR": str(MODEL_DIR),
            "SERVER_HOST": "127.0.0.1",
            "SAGEMAKER_BIND_TO_PORT": str(port),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/ping", timeout=1) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not answer /ping: {process.communicate()[1].decode()}")


@pytest.fixture(scope="module")
def server():
    process, base = start_server()
    yield base
    process.terminate()
    process.wait(timeout=10)


def call(base, path, body=None, content_type="application/json"):
    request = urllib.request.Request(f"{base}{path}", data=body, method="POST" if body is not None else "GET")
    if body is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def test_ping_is_healthy(server):
    assert call(server, "/ping") == (200, "application/json", {"status": "ok"})


@pytest.mark.parametrize(
    ("text", "label", "score"),
    [
        ("The service is great and fast, I love it", "positive", 1.0),
        ("Terrible, slow and broken", "negative", -1.0),
        ("good but slow", "neutral", 0.0),
        ("no opinion words here", "neutral", 0.0),
    ],
)
def test_json_invocations_return_the_sentiment(server, text, label, score):
    status, content_type, body = call(server, "/invocations", json.dumps({"text": text}).encode())
    assert (status, content_type) == (200, "application/json")
    assert body == {"label": label, "score": score, "model": "sentiment-lexicon@1"}


def test_text_invocations(server):
    status, _, body = call(server, "/invocations", b"what a wonderful day", "text/plain; charset=utf-8")
    assert (status, body["label"]) == (200, "positive")


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'{"text": 5}', "application/json", 400),
        (b'{"other": "x"}', "application/json", 400),
        (b"<xml/>", "application/xml", 415),
    ],
)
def test_bad_requests_get_client_errors(server, body, content_type, status):
    assert call(server, "/invocations", body, content_type)[0] == status


def test_unknown_route_is_404(server):
    assert call(server, "/nope")[0] == 404


def test_neutral_band_override_changes_the_answer(server):
    mixed = json.dumps({"text": "good great nice happy fast, but bad slow sad poor"}).encode()  # score 1/9
    assert call(server, "/invocations", mixed)[2]["label"] == "neutral"
    process, base = start_server(NEUTRAL_BAND="0.0")
    try:
        assert call(base, "/invocations", mixed)[2] == {
            "label": "positive",
            "score": 0.1111,
            "model": "sentiment-lexicon@1",
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def multi_model_server():
    process, base = start_server(SAGEMAKER_MULTI_MODEL="true", SM_MODEL_DIR="/nonexistent")
    yield base
    process.terminate()
    process.wait(timeout=10)


def send(base, method, path, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_multi_model_contract_load_list_invoke_unload(multi_model_server, tmp_path):
    base, url = multi_model_server, str(MODEL_DIR)
    great = {"text": "great and fast"}
    assert send(base, "POST", "/models/sentiment-abc.tar.gz/invoke", great)[0] == 404  # not loaded yet
    assert send(base, "POST", "/models", {"model_name": "sentiment-abc.tar.gz", "url": url}) == (
        200,
        {"status": "loaded sentiment-abc.tar.gz"},
    )
    assert send(base, "POST", "/models", {"model_name": "sentiment-abc.tar.gz", "url": url})[0] == 409
    assert send(base, "GET", "/models") == (200, {"models": [{"modelName": "sentiment-abc.tar.gz", "modelUrl": url}]})
    assert send(base, "GET", "/models/sentiment-abc.tar.gz")[1]["modelUrl"] == url
    status, answer = send(base, "POST", "/models/sentiment-abc.tar.gz/invoke", great)
    assert (status, answer["label"], answer["model"]) == (200, "positive", "sentiment-lexicon@1")
    assert send(base, "DELETE", "/models/sentiment-abc.tar.gz") == (200, {"status": "unloaded sentiment-abc.tar.gz"})
    assert send(base, "GET", "/models/sentiment-abc.tar.gz")[0] == 404
    assert send(base, "DELETE", "/models/sentiment-abc.tar.gz")[0] == 404
    assert send(base, "GET", "/models") == (200, {"models": []})


def test_multi_model_load_errors(multi_model_server, tmp_path):
    assert send(multi_model_server, "POST", "/models", {"model_name": "x", "url": str(tmp_path)})[0] == 404
    assert send(multi_model_server, "POST", "/models", {"url": str(tmp_path)})[0] == 400
    assert send(multi_model_server, "POST", "/invocations", {"text": "great"})[0] == 404  # models are named


def test_a_multi_model_server_needs_no_model_at_start(multi_model_server):
    assert call(multi_model_server, "/ping") == (200, "application/json", {"status": "ok"})
