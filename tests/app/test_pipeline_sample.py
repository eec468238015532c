"""The CDK Pipelines sample (``-c pipeline-sample=true``): snapshots of the pipeline and every stage's stacks,
zero cdk-nag findings, cfn-lint clean, stages in order behind an approval, artifacts read across accounts."""

import json

import pytest
from aws_cdk import Stack, Stage

from stacks.app_config import DEFAULT_CONFIG, load_config
from stacks.pipeline_stack import CONTEXT_KEY, REPOSITORY, execution_role_name
from stacks.sample_app import define_sample_app, nag_packs
from tests.app.test_sample_app import CDK_CONTEXT
from tests.support import cfn_lint, new_app, normalized

# aws-cdk-lib's pipelines module writes each CloudFormation action's RoleArn with Fn::Join; cfn-lint's E3703 prefers
# Fn::Sub there (a style, valid CloudFormation either way) and is not ours to change.
CDK_PIPELINES_JOIN = "[E3703: Validate the configuration of a pipeline action] (Prefer using Fn::Sub over Fn::Join"
CONFIG = load_config(DEFAULT_CONFIG)
SETTINGS = CONFIG.pipeline


@pytest.fixture(scope="module")
def pipeline_app():
    app = new_app({**CDK_CONTEXT, CONTEXT_KEY: "true"})
    stacks = define_sample_app(app, CONFIG)
    assembly = app.synth()  # raises on any unacknowledged cdk-nag finding
    [pipeline] = [stack for stack in stacks if stack.stack_name == SETTINGS.stack_name]
    stages = [child for child in pipeline.node.children if isinstance(child, Stage)]
    templates = {"pipeline": assembly.get_stack_by_name(pipeline.stack_name).template}
    for stage in stages:
        nested = assembly.get_nested_assembly(stage.artifact_id)
        for stack in [child for child in stage.node.children if isinstance(child, Stack)]:
            templates[f"{stage.stage_name}/{stack.node.id}"] = nested.get_stack_by_name(stack.stack_name).template
    return app, pipeline, templates


def test_the_pipeline_and_every_stage_stack_match_their_snapshots(pipeline_app, json_snapshot):
    _, _, templates = pipeline_app
    assert sorted(templates) == [
        "Artifacts/ModelArtifacts-eu-west-1",
        "Artifacts/ModelArtifacts-us-east-1",
        "Production/Endpoint",
        "Staging/Endpoint",
        "pipeline",
    ]
    for name, template in templates.items():
        assert normalized(template) == json_snapshot(name=name.replace("/", "-"))


def test_cdk_nag_reports_zero_findings_in_the_pipeline_and_its_stages(pipeline_app):
    app, _, _ = pipeline_app
    for pack in nag_packs(app):
        report = pack.validate_scope(app)
        assert [(v.rule_name, r.construct_path) for v in report.violations for r in v.violating_resources] == []


def test_every_pipeline_template_is_cfn_lint_clean(pipeline_app):
    _, _, templates = pipeline_app
    regions = sorted({SETTINGS.region, *(stage.region for stage in SETTINGS.stages)})
    for name, template in templates.items():
        found = [finding for finding in cfn_lint(template, regions) if not finding.startswith(CDK_PIPELINES_JOIN)]
        assert found == [], name


def test_stages_run_in_order_and_production_waits_for_an_approval(pipeline_app):
    _, _, templates = pipeline_app
    [pipeline] = [r for r in templates["pipeline"]["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    stages = pipeline["Properties"]["Stages"]
    assert [stage["Name"] for stage in stages][-4:] == ["Artifacts", "Assets", "Staging", "Production"]
    production = stages[-1]["Actions"]
    approval = [a for a in production if a["ActionTypeId"]["Category"] == "Approval"]
    assert approval and approval[0]["RunOrder"] < min(a["RunOrder"] for a in production if a not in approval)
    staging = stages[-2]["Actions"]
    assert not [a for a in staging if a["ActionTypeId"]["Category"] == "Approval"]


def test_each_stage_reads_the_promoted_artifacts_of_its_region_through_policies_naming_its_role(pipeline_app):
    _, _, templates = pipeline_app
    for stage in SETTINGS.stages:
        artifacts = json.dumps(templates[f"Artifacts/ModelArtifacts-{stage.region}"])
        role_arn = f":iam::{stage.account}:role/{execution_role_name(stage)}"
        assert artifacts.count(role_arn) == 3  # bucket, key and repository policies
        assert f"s3.{stage.region}.amazonaws.com" in artifacts
        endpoint = templates[f"{stage.name}/Endpoint"]
        text = json.dumps(endpoint)
        assert f"{SETTINGS.account}.dkr.ecr.{stage.region}" in text and REPOSITORY in text
        assert SETTINGS.model_key in text
        types = [resource["Type"] for resource in endpoint["Resources"].values()]
        assert "Custom::SageMakerEndpointSmokeTest" in types  # a failing smoke test fails the stage
