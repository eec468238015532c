"""cdk-nag 2 users: the sample app (the library's resources and the sample's own acknowledgments, both written with
`acknowledge_nag_findings`) has no unacknowledged finding under cdk-nag 2's AWS Solutions, HIPAA and NIST packs.

cdk-nag 2 and 3 share a module name, so 2 lives apart from the venv (``make setup`` puts it in
``.venv/cdk-nag-2``) and runs in a subprocess with that folder first on its path.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.support import ROOT

NAG_2 = ROOT / ".venv" / "cdk-nag-2"

APP_UNDER_CDK_NAG_2 = textwrap.dedent(
    """
    import json
    from aws_cdk import App, Aspects, Stack, aws_s3 as s3
    import cdk_nag
    from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
    from stacks.app_config import DEFAULT_CONFIG, load_config
    from stacks.sample_app import define_sample_stacks

    # Without cdk.json's flags (one fails the synth on the first error annotation) and the built-in schema check.
    app = App(builtin_cloud_formation_validation=False)
    define_sample_stacks(app, load_config(DEFAULT_CONFIG))
    s3.Bucket(Stack(app, "Control"), "Unacknowledged")  # the control: the packs do report
    for pack in (AwsSolutionsChecks(), HIPAASecurityChecks(), NIST80053R5Checks()):
        Aspects.of(app).add(pack)
    assembly = app.synth()
    findings = [
        [stack.stack_name, message.id, str(message.entry.data).splitlines()[0]]
        for stack in assembly.stacks
        for message in stack.messages
        if str(message.level.value).lower() == "error"
    ]
    print(json.dumps({"cdk_nag": cdk_nag.__file__, "findings": findings}))
    """
)


@pytest.fixture(scope="module")
def report() -> dict:
    """One synth of the sample app and a control stack under cdk-nag 2, in a subprocess."""
    assert NAG_2.is_dir(), "run make setup: it installs cdk-nag 2 into .venv/cdk-nag-2"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(NAG_2), str(ROOT), str(ROOT / "constructs")])}
    result = subprocess.run(
        [sys.executable, "-c", APP_UNDER_CDK_NAG_2],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["cdk_nag"].startswith(str(NAG_2)), found["cdk_nag"]  # cdk-nag 2 ran, not the venv's 3
    return found


def test_the_sample_app_has_no_unacknowledged_finding_under_cdk_nag_2(report):
    assert [finding for finding in report["findings"] if finding[0] != "Control"] == []


def test_cdk_nag_2_reports_what_nobody_acknowledged(report):
    findings = [(path, text) for stack, path, text in report["findings"] if stack == "Control"]
    assert findings and all("/Unacknowledged/" in path for path, _ in findings), findings
    assert any(text.startswith("AwsSolutions-S1:") for _, text in findings)
