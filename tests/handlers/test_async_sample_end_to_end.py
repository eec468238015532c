"""The async sample's smoke test, end to end: synthesized properties, the handler, the local moto server.

What SageMaker does between the invocation and the result (run the container, write its answer to S3) is
played by the sample model server and by writing its answer where moto's InvokeEndpointAsync said it lands.
"""

import json
import urllib.request
from pathlib import Path

import handler

from cdk_sagemaker_inference.smoke_test import RESOURCE_TYPE
from stacks.app_config import DEFAULT_CONFIG, load_config
from stacks.sample_app import define_sample_app
from tests.app.test_model_server import start_server
from tests.handlers.conftest import client, post
from tests.support import ROOT, new_app

CONFIG_NAME = "async-config-1"
RESULTS_BUCKET = "async-results"
ASSETS_BUCKET = "cdk-assets-bucket"


def synthesized_async_smoke_test():
    config = load_config(DEFAULT_CONFIG)
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    app = new_app(context)
    define_sample_app(app, config)
    assembly = app.synth()
    template = assembly.get_stack_by_name(config.asynchronous.stack_name).template
    [resource] = [r for r in template["Resources"].values() if r["Type"] == RESOURCE_TYPE]
    return resource["Properties"], Path(assembly.directory)


def deployed(properties):
    """The properties as CloudFormation would send them: names in place of the template's references."""
    names = {
        "ExpectedEndpointConfigName": CONFIG_NAME,
        "PayloadBucket": ASSETS_BUCKET,
        "AsyncInputBucket": RESULTS_BUCKET,
    }
    return {key: names.get(key, value) if isinstance(value, dict) else value for key, value in properties.items()}


def answer_of_the_sample_server(payload, content_type):
    process, base = start_server()
    try:
        request = urllib.request.Request(f"{base}/invocations", data=payload, method="POST")
        request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read(), response.headers["Content-Type"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_async_sample_smoke_test_passes_end_to_end(aws):
    properties, assembly_dir = synthesized_async_smoke_test()
    assert properties["Invocation"] == "async" and properties["AsyncInputPrefix"] == "smoke-test-inputs/"
    properties = deployed(properties)
    payload = (assembly_dir / f"asset.{properties['PayloadKey']}").read_bytes()
    s3, sagemaker = client("s3"), client("sagemaker")
    for bucket in (ASSETS_BUCKET, RESULTS_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=ASSETS_BUCKET, Key=properties["PayloadKey"], Body=payload)  # what cdk deploy uploads
    sagemaker.create_model(
        ModelName="model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sentiment:1"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=CONFIG_NAME,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": f"s3://{RESULTS_BUCKET}/results/"}},
    )
    sagemaker.create_endpoint(EndpointName=properties["EndpointName"], EndpointConfigName=CONFIG_NAME)
    body, content_type = answer_of_the_sample_server(payload, properties["ContentType"])
    post(f"{aws}/moto-api/static/sagemaker/async-endpoint-results", {"results": [{"data": body.decode()}]})

    event = {
        "RequestType": "Create",
        "RequestId": "e2e-request",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/SageMakerAsyncSample/1",
        "LogicalResourceId": "EndpointSmokeTest",
        "ResourceType": RESOURCE_TYPE,
        "ResourceProperties": properties,
    }
    started = {**event, **handler.on_event(event)}
    assert handler.is_complete(started) == {"IsComplete": False}  # uploaded and invoked
    folder = f"smoke-test-inputs/{event['RequestId']}"
    uploaded = s3.get_object(Bucket=RESULTS_BUCKET, Key=f"{folder}/input")
    assert uploaded["Body"].read() == payload
    # SageMaker writes the container's answer with its content type where the invocation said it lands.
    output = json.loads(s3.get_object(Bucket=RESULTS_BUCKET, Key=f"{folder}/invocation.json")["Body"].read())
    bucket, _, key = output["OutputLocation"].removeprefix("s3://").partition("/")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    assert handler.is_complete(started) == {"IsComplete": True}
