"""Online explainability (ClarifyExplainer): rendering, the S3 baseline grant, its rules and its metric."""

import json

import pytest
from aws_cdk import Fn
from aws_cdk import aws_s3 as s3

from cdk_sagemaker_inference import (
    AsyncInference,
    ClarifyExplainer,
    ClarifyInference,
    ClarifyText,
    Endpoint,
    EndpointConfig,
    S3Location,
    ServerlessProductionVariant,
)
from tests.support import cfn_lint, component_endpoint, ecr_model, expect_problems, only_resource, template, variant


def explained(stack, explainer, **config_kwargs):
    return EndpointConfig(
        stack, "Config", production_variants=[variant(ecr_model(stack), variant_name="A")], explainer=explainer,
        **config_kwargs,
    )  # fmt: skip


def test_an_explainer_renders_every_setting_and_lints_clean(stack):
    explained(
        stack,
        ClarifyExplainer(
            baseline="0,0,0,0",
            enable_explanations="[1]>`0.5`",
            number_of_samples=100,
            use_logit=True,
            seed=7,
            inference=ClarifyInference(probability_index=1, max_record_count=10, feature_headers=["a", "b", "c", "d"]),
        ),
    )
    assert only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ExplainerConfig"] == {
        "ClarifyExplainerConfig": {
            "EnableExplanations": "[1]>`0.5`",
            "InferenceConfig": {"FeatureHeaders": ["a", "b", "c", "d"], "MaxRecordCount": 10, "ProbabilityIndex": 1},
            "ShapConfig": {
                "NumberOfSamples": 100,
                "Seed": 7,
                "ShapBaselineConfig": {"ShapBaseline": "0,0,0,0"},
                "UseLogit": True,
            },
        }
    }
    assert cfn_lint(template(stack).to_json(), ["us-east-1"]) == []


def test_a_baseline_in_s3_is_read_by_the_models_role_and_nothing_more(stack):
    bucket = s3.Bucket(stack, "Baselines")
    explained(
        stack,
        ClarifyExplainer(
            baseline=S3Location(bucket, "nlp/baseline.jsonl"),
            baseline_mime_type="application/jsonlines",
            text=ClarifyText(language="en", granularity="token"),
            inference=ClarifyInference(feature_types=["text"], content_template='{"features":$features}'),
        ),
    )
    shap = only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]["ExplainerConfig"][
        "ClarifyExplainerConfig"
    ]["ShapConfig"]
    assert shap["TextConfig"] == {"Granularity": "token", "Language": "en"}
    assert "nlp/baseline.jsonl" in json.dumps(shap["ShapBaselineConfig"]["ShapBaselineUri"])
    reads = [
        statement["Resource"]
        for policy in template(stack).find_resources("AWS::IAM::ManagedPolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "s3:GetObject"
    ]
    assert reads == [{"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id(stack), "Arn"]}, "/nlp/baseline.jsonl"]]}]


def bucket_id(stack):
    """The logical ID of the stack's one bucket."""
    return next(iter(template(stack).find_resources("AWS::S3::Bucket")))


@pytest.mark.parametrize(
    ("explainer", "fragments"),
    [
        (ClarifyExplainer(baseline="1,2", enable_explanations="probability>0.5 &&"), ["[Explainer]", "backticks"]),
        (ClarifyExplainer(baseline="1" * 4097), ["[Api.ClarifyShapBaseline] explainer.baseline"]),
        (ClarifyExplainer(baseline="1", baseline_mime_type="application/json"), ["[Explainer]", "text/csv"]),
        (
            ClarifyExplainer(baseline="1", inference=ClarifyInference(feature_types=["text"])),
            ["[Explainer] explainer.text = None", "ClarifyText"],
        ),
        (
            ClarifyExplainer(baseline="1", inference=ClarifyInference(max_payload_mb=30, label_attribute="[")),
            ["[Api.ClarifyMaxPayloadInMB] explainer.inference.max_payload_mb", "explainer.inference.label_attribute"],
        ),
        (
            ClarifyExplainer(baseline="1", inference=ClarifyInference(feature_types=["image"])),
            ["[Api.ClarifyFeatureType] explainer.inference.feature_types[0] = 'image'"],
        ),
        (
            ClarifyExplainer(baseline="1", text=ClarifyText(language="en", granularity="word")),
            ["[Api.ClarifyTextGranularity] explainer.text.granularity (Granularity) = 'word'"],
        ),
    ],
)
def test_explainer_rules(stack, explainer, fragments):
    expect_problems(lambda: explained(stack, explainer), "TestStack/Config", *fragments)


def test_deploy_time_values_are_not_judged_as_literals(stack):
    explained(stack, ClarifyExplainer(baseline=Fn.import_value("Baseline"), enable_explanations=Fn.ref("Filter")))
    assert "ExplainerConfig" in only_resource(stack, "AWS::SageMaker::EndpointConfig")["Properties"]


def serverless_config(stack, explainer):
    model = ecr_model(stack)
    return EndpointConfig(
        stack, "Config", production_variants=[ServerlessProductionVariant(model=model)], explainer=explainer
    )


def async_config(stack, explainer):
    return explained(stack, explainer, async_inference=AsyncInference(output=S3Location(s3.Bucket(stack, "B"), "o/")))


@pytest.mark.parametrize(
    ("build", "fragments"),
    [
        (serverless_config, ["production_variants[0] = 'ServerlessProductionVariant with an explainer'"]),
        (async_config, ["= 'asynchronous inference with an explainer'", "InvokeEndpointAsync has no Enable"]),
        (
            lambda stack, explainer: component_endpoint(stack, explainer=explainer),
            ["production_variants[0] = 'InferenceComponentHostVariant with an explainer'"],
        ),
    ],
)
def test_serverless_asynchronous_and_component_endpoints_refuse_an_explainer(stack, build, fragments):
    expect_problems(lambda: build(stack, ClarifyExplainer(baseline="1")), "[Explainer]", *fragments)


def test_explanations_per_instance_is_a_metric_only_where_clarify_explains(stack):
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=explained(stack, ClarifyExplainer(baseline="1")))
    endpoint.metric_explanations_per_instance("A").create_alarm(
        stack, "Explanations", threshold=1, evaluation_periods=1
    )
    plain = EndpointConfig(stack, "Plain", production_variants=[variant(ecr_model(stack, "B"), variant_name="B")])
    other = Endpoint(stack, "Other", endpoint_config=plain)
    expect_problems(
        lambda: other.metric_explanations_per_instance("B").create_alarm(
            stack, "Never", threshold=1, evaluation_periods=1
        ),
        "[PublishedMetric] metric = 'ExplanationsPerInstance'",
    )
