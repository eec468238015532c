"""The sample app: one snapshot per stack, zero cdk-nag findings, cfn-lint clean, checked config."""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.request
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk import aws_iam as iam
from checks import Answer, mismatches
from handler import SmokeTest

from cdk_sagemaker_inference import deploy_statements
from cdk_sagemaker_inference.smoke_test import RESOURCE_TYPE
from stacks.app_config import DEFAULT_CONFIG, ConfigError, load_config
from stacks.llm_stack import CONTEXT_KEY as LLM_CONTEXT_KEY
from stacks.sample_app import define_sample_app, nag_packs
from tests.app.test_model_server import start_server
from tests.support import ROOT, cfn_lint, new_app, normalized

CDK_CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
TYPES = (  # what the deploy policy test reads of each template
    "AWS::SageMaker::Model",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Endpoint",
    "AWS::ApplicationAutoScaling::ScalableTarget",
)


@pytest.fixture(scope="module")
def sample_app():
    """The sample app as `cdk synth` builds it: cdk.json's feature flags, the default config, cdk-nag on."""
    app = new_app({**CDK_CONTEXT, LLM_CONTEXT_KEY: "true"})  # the GPU sample too, which cdk deploy leaves out
    stacks = define_sample_app(app, load_config(DEFAULT_CONFIG))
    assembly = app.synth()  # raises if any cdk-nag pack reports an unacknowledged finding
    return app, stacks, assembly


def test_each_sample_stack_matches_its_snapshot(sample_app, json_snapshot):
    _, stacks, assembly = sample_app
    for stack in stacks:
        assert normalized(assembly.get_stack_by_name(stack.stack_name).template) == json_snapshot(name=stack.stack_name)


def test_cdk_nag_reports_zero_findings_in_every_pack(sample_app):
    app, _, _ = sample_app
    for pack in nag_packs(app):
        report = pack.validate_scope(app)
        findings = [(v.rule_name, r.construct_path) for v in report.violations for r in v.violating_resources]
        assert findings == [], pack.name


def test_every_acknowledgment_sits_on_a_resource_with_a_reason(sample_app):
    app, stacks, _ = sample_app
    acknowledged = [
        (construct, key, reason)
        for construct in app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for key, reason in entry.data.items()
    ]
    assert acknowledged
    assert all(construct not in stacks and construct is not app for construct, _, _ in acknowledged)
    assert all(len(reason) > 40 for _, _, reason in acknowledged)


def test_every_sample_template_is_cfn_lint_clean(sample_app):
    _, stacks, assembly = sample_app
    for stack in stacks:
        template = assembly.get_stack_by_name(stack.stack_name).template
        assert cfn_lint(template, regions=["us-east-1", "eu-west-1"]) == []


def test_endpoint_name_is_stable_and_exported(sample_app):
    _, stacks, assembly = sample_app
    template = assembly.get_stack_by_name(stacks[0].stack_name).template
    [endpoint] = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Endpoint"]
    assert endpoint["Properties"]["EndpointName"] == template["Outputs"]["EndpointName"]["Value"]


def synth_sample(tmp_path, config_path):
    """The sample app synthesized in this process from ``config_path`` (as app.py does, without the built-in
    schema check, which cfn-lint covers); app.py's own run, through the pinned CLI, is tested once below."""
    app = App(builtin_cloud_formation_validation=False, context=CDK_CONTEXT, outdir=str(tmp_path / "out"))
    define_sample_app(app, load_config(config_path))
    return app.synth()


def write_config(tmp_path, edit):
    config = json.loads(DEFAULT_CONFIG.read_text())
    for key in ("imageDirectory", "modelDirectory"):
        config["realtime"][key] = str((DEFAULT_CONFIG.parent / config["realtime"][key]).resolve())
    models = config["multiModel"]["models"]
    for name, path in models.items():
        models[name] = str((DEFAULT_CONFIG.parent / path).resolve())
    edit(config)  # may drop sections, to test errors
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_synth_fails_on_an_unacknowledged_cdk_nag_finding(tmp_path):
    def unencrypted(config):
        config["realtime"]["encryptVolumes"] = False

    with pytest.raises(RuntimeError, match="SageMakerEndpointConfigurationKMSKeyConfigured"):
        synth_sample(tmp_path, write_config(tmp_path, unencrypted))


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c.pop("realtime"), "realtime = None: expected an object"),
        (lambda c: c["realtime"].update(variants=[]), "realtime.variants = []: expected a non-empty list"),
        (lambda c: c["realtime"]["variants"][0].update(weight="heavy"), "realtime.variants[0].weight = 'heavy'"),
        (lambda c: c["realtime"]["variants"][1].update(instanceCount=1.5), "realtime.variants[1].instanceCount"),
        (lambda c: c["realtime"].update(modelDirectory="nowhere"), "realtime.modelDirectory = 'nowhere'"),
        (lambda c: c["realtime"].update(encryptVolumes="yes"), "realtime.encryptVolumes = 'yes': expected true or"),
        (lambda c: c["env"].update(region=7), "env.region = 7: expected a non-empty string"),
        (lambda c: c["realtime"].pop("smokeTest"), "realtime.smokeTest = None: expected an object"),
        (lambda c: c["realtime"]["smokeTest"].update(expect=[1]), "realtime.smokeTest.expect = [1]: expected an"),
        (lambda c: c["multiModel"].update(models={}), "multiModel.models = {}: expected an object of model name"),
        (lambda c: c["multiModel"]["models"].update(x="nowhere"), "multiModel.models.x = 'nowhere': expected a dir"),
        (lambda c: c["inferenceComponents"].update(memoryMb=1.5), "inferenceComponents.memoryMb = 1.5: expected an"),
        (
            lambda c: c["realtime"]["variants"][0].update(instanceCount=3, maxInstanceCount=2),
            "realtime.variants[0].maxInstanceCount = 2: expected at least realtime.variants[0].instanceCount (3)",
        ),
    ],
)
def test_config_errors_name_the_key_and_the_fix(tmp_path, edit, fragment):
    path = write_config(tmp_path, edit)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert fragment in str(caught.value) and "Fix: set" in str(caught.value)
    assert str(path) in str(caught.value)


def test_an_instance_count_raised_to_the_maximum_keeps_the_variants_scaling(tmp_path):
    def full(config):
        config["realtime"]["variants"][0].update(instanceCount=2, maxInstanceCount=2)

    [primary, *_] = load_config(write_config(tmp_path, full)).realtime.variants
    assert (primary.instance_count, primary.max_instance_count) == (2, 2)  # still autoscaled, from 2 to 2
    [_, *others] = load_config(DEFAULT_CONFIG).realtime.variants
    assert all(other.max_instance_count is None for other in others)  # no maxInstanceCount: not autoscaled


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match=re.escape("no such config file. Fix: pass -c config=")):
        load_config(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(tmp_path / "bad.json")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_config_reader_refuses_nan_and_infinities(tmp_path, constant):
    config = json.loads(DEFAULT_CONFIG.read_text())
    text = json.dumps(config).replace('"weight": 0.9', f'"weight": {constant}')
    assert constant in text
    (tmp_path / "nan.json").write_text(text)
    with pytest.raises(ConfigError, match=f"not valid JSON \\({re.escape(constant)} is not a JSON number"):
        load_config(tmp_path / "nan.json")


@pytest.fixture(scope="module")
def cli_synth(tmp_path_factory):
    """`npx cdk synth -c config=...` from the root, the venv not on PATH: cdk.json runs the project's venv python,
    and app.py reads the config that context names (one variant in a stack of another name, and the serverless
    sample with provisioned concurrency). Returns the CLI's output folder and what it printed."""

    def edited(config):
        config["realtime"]["stackName"] = "OtherName"
        config["realtime"]["variants"] = [{"name": "Only", "weight": 1, "instanceCount": 2}]
        config["serverless"]["provisionedConcurrency"] = 1

    if not (ROOT / "node_modules" / ".bin" / "cdk").exists():
        pytest.fail("node_modules is missing: run `make setup` (make test does it)")
    tmp_path = tmp_path_factory.mktemp("cli")
    venv_bin = os.path.dirname(sys.executable)
    path = os.pathsep.join(entry for entry in os.environ["PATH"].split(os.pathsep) if entry != venv_bin)
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env |= {"PATH": path, "CDK_DISABLE_CLI_TELEMETRY": "1"}
    out = tmp_path / "cdk.out"
    context = f"config={write_config(tmp_path, edited)}"
    result = subprocess.run(
        [shutil.which("npx") or "npx", "--no-install", "cdk", "synth", "--quiet", "--output", str(out), "-c", context],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out, result.stdout + result.stderr


def cli_template(cli_synth, stack_name):
    out, _ = cli_synth
    return json.loads((out / f"{stack_name}.template.json").read_text())


def test_pinned_cdk_cli_synthesizes_the_sample_app_offline_without_an_activated_venv(cli_synth):
    """The CLI from package-lock.json reads this aws-cdk-lib's cloud assembly, and prints no notice."""
    template = cli_template(cli_synth, "OtherName")
    [config] = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    assert [v["VariantName"] for v in config["Properties"]["ProductionVariants"]] == ["Only"]
    _, printed = cli_synth
    assert "feature flags" not in printed and "WARNING" not in printed, printed


def test_the_serverless_sample_with_provisioned_concurrency_scales_it_on_utilization(cli_synth):
    template = cli_template(cli_synth, "SageMakerServerlessSample")  # cdk-nag still finds nothing
    [target] = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"]
    properties = target["Properties"]
    assert properties["ScalableDimension"] == "sagemaker:variant:DesiredProvisionedConcurrency"
    assert (properties["MinCapacity"], properties["MaxCapacity"]) == (1, 5)
    assert cfn_lint(template, regions=["us-east-1"]) == []


def test_cdk_json_carries_the_flags_cdk_init_of_this_cli_writes():
    recommended = json.loads(
        (ROOT / "node_modules/aws-cdk/lib/init-templates/.recommended-feature-flags.json").read_text()
    )
    assert {key: value for key, value in CDK_CONTEXT.items() if key != "cli-telemetry"} == recommended
    assert json.loads((ROOT / "cdk.json").read_text())["app"] == "sh scripts/cdk_app.sh"


def test_the_app_command_without_a_venv_says_to_run_make_synth(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "cdk_app.sh", tmp_path / "scripts")
    command = json.loads((ROOT / "cdk.json").read_text())["app"]
    result = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "Run 'make synth' first" in result.stderr, result.stderr


def test_make_synth_installs_only_the_runtime_requirements_and_the_cli():
    planned = subprocess.run(
        ["make", "--dry-run", "--always-make", "synth"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert planned.returncode == 0, planned.stderr
    commands = [line for line in planned.stdout.splitlines() if not line.startswith("#")]
    installs = [line for line in commands if "pip install" in line or "npm ci" in line]
    runtime = ("-r requirements-bootstrap.txt", "-r requirements.txt", "npm ci")
    assert all(any(source in line for source in runtime) for line in installs), installs
    assert all(any(source in line for line in installs) for source in runtime), installs
    assert "requirements-dev" not in planned.stdout


def smoke_tests_of(assembly, stack):
    resources = assembly.get_stack_by_name(stack.stack_name).template["Resources"].values()
    return [SmokeTest.from_properties(r["Properties"]) for r in resources if r["Type"] == RESOURCE_TYPE]


def invoke_server(base, path, test, payload):
    """What the sample server answers ``payload`` at ``path``, as the handler's checks read it."""
    request = urllib.request.Request(f"{base}{path}", data=payload, method="POST")
    request.add_header("Content-Type", test.content_type or "")
    with urllib.request.urlopen(request, timeout=5) as response:
        return Answer(response.status, response.headers["Content-Type"], response.read())


def sample_tests(sample_app):
    _, stacks, assembly = sample_app
    config = load_config(DEFAULT_CONFIG)
    by_stack = {stack.stack_name: smoke_tests_of(assembly, stack) for stack in stacks}
    return config, assembly, by_stack


def test_every_synchronous_sample_smoke_test_passes_against_the_sample_model_server(sample_app):
    """Each smoke test's properties, parsed as the handler parses them, sent to the server as its variant runs.

    The async sample's test runs end to end against the local moto server (tests/handlers); the multi-model
    sample's below, with the server in multi-model mode.
    """
    config, assembly, by_stack = sample_tests(sample_app)
    variants = {variant.name: variant for variant in config.realtime.variants}
    realtime = by_stack[config.realtime.stack_name]
    assert sorted(test.targets["TargetVariant"] for test in realtime) == sorted(variants)
    [serverless] = by_stack[config.serverless.stack_name]
    [component] = by_stack[config.inference_components.stack_name]
    assert component.targets["InferenceComponentName"].startswith(config.inference_components.stack_name)
    assert [test.invocation for test in by_stack[config.asynchronous.stack_name]] == ["async"]
    for test in [*realtime, serverless, component]:
        payload = (Path(assembly.directory) / f"asset.{test.payload_key}").read_bytes()  # as uploaded at deploy
        variant = variants.get(test.targets.get("TargetVariant", ""))
        process, base = start_server(**(variant.environment if variant else {}))
        try:
            answer = invoke_server(base, "/invocations", test, payload)
        finally:
            process.terminate()
            process.wait(timeout=10)
        assert test.expectation.body_check == "json"
        assert mismatches(answer, test.expectation) == []


def test_every_multi_model_smoke_test_finds_its_model_as_uploaded_and_passes(sample_app, tmp_path):
    """Each test's TargetModel is a key the deployment uploads: the archive with that name, from the
    deployment's asset in the cloud assembly, extracted as SageMaker would, loaded and invoked by name."""
    config, assembly, by_stack = sample_tests(sample_app)
    tests = by_stack[config.multi_model.stack_name]
    assert len(tests) == len(config.multi_model.models)
    process, base = start_server(SAGEMAKER_MULTI_MODEL="true")
    try:
        for test in tests:
            key = test.targets["TargetModel"]
            [archive] = Path(assembly.directory).glob(f"asset.*/{key}")  # the BucketDeployment's source asset
            extracted = tmp_path / key
            with tarfile.open(archive) as packed:
                packed.extractall(extracted, filter="data")
            request = json.dumps({"model_name": key, "url": str(extracted)}).encode()
            load = urllib.request.Request(f"{base}/models", data=request, method="POST")
            with urllib.request.urlopen(load, timeout=5) as response:
                assert response.status == 200
            payload = (Path(assembly.directory) / f"asset.{test.payload_key}").read_bytes()
            answer = invoke_server(base, f"/models/{key}/invoke", test, payload)
            assert mismatches(answer, test.expectation) == []
            assert json.loads(answer.body)["model"].startswith("sentiment-lexicon")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_each_sample_scales_as_its_kind_does(sample_app):
    config, assembly, _ = sample_tests(sample_app)

    def targets(stack_name):
        resources = assembly.get_stack_by_name(stack_name).template["Resources"].values()
        return [r["Properties"] for r in resources if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"]

    [realtime] = targets(config.realtime.stack_name)
    assert realtime["ResourceId"].endswith("/variant/Primary")
    [asynchronous] = targets(config.asynchronous.stack_name)
    assert asynchronous["MinCapacity"] == 0  # idle: no instances; the backlog brings one back
    assert targets(config.serverless.stack_name) == []  # on demand: SageMaker scales it
    [component] = targets(config.inference_components.stack_name)
    assert component["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    [multi_model] = targets(config.multi_model.stack_name)
    assert multi_model["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"


def test_the_deploy_policy_covers_what_each_sample_template_asks_of_the_deploying_principal(sample_app):
    _, stacks, assembly = sample_app
    for stack in stacks:
        resources = assembly.get_stack_by_name(stack.stack_name).template["Resources"]
        statements = stack.resolve(iam.PolicyDocument(statements=deploy_statements(stack)).to_json())["Statement"]

        def granted(action, statements=statements):
            found = [
                s for s in statements if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            ]
            return [r for s in found for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]

        of_type = {kind: [r["Properties"] for r in resources.values() if r["Type"] == kind] for kind in TYPES}
        passed = [p["ExecutionRoleArn"] for kind in TYPES[:2] for p in of_type[kind] if "ExecutionRoleArn" in p]
        assert passed and all(role in granted("iam:PassRole") for role in passed), stack.stack_name
        keys = [p["KmsKeyId"] for p in of_type["AWS::SageMaker::EndpointConfig"] if "KmsKeyId" in p]
        assert all(key in granted("kms:CreateGrant") for key in keys), stack.stack_name
        for endpoint in of_type["AWS::SageMaker::Endpoint"]:
            arn = json.dumps(granted("sagemaker:UpdateEndpoint"))
            assert f"endpoint/{endpoint['EndpointName'].lower()}" in arn
            for alarm in endpoint.get("DeploymentConfig", {}).get("AutoRollbackConfiguration", {}).get("Alarms", []):
                assert {"Fn::GetAtt": [alarm["AlarmName"]["Ref"], "Arn"]} in granted("cloudwatch:DescribeAlarms")
        scaled = bool(of_type["AWS::ApplicationAutoScaling::ScalableTarget"])
        assert bool(granted("iam:CreateServiceLinkedRole")) == scaled, stack.stack_name
        assert bool(granted("application-autoscaling:DeregisterScalableTarget")) == scaled, stack.stack_name
