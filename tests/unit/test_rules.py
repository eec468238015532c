"""docs/rules.md is generated from the rules in the code, and every message cites a listed rule."""

import re

from cdk_sagemaker_inference import rules
from tests.support import ROOT

LIBRARY = ROOT / "constructs" / "cdk_sagemaker_inference"


def test_docs_rules_md_equals_the_generated_table():
    assert (ROOT / rules.DOCS_FILE).read_text() == rules.markdown(), "run `make docs` and commit docs/rules.md"


def test_every_rule_constant_the_code_uses_is_in_the_table():
    used = set()
    for source in LIBRARY.glob("*.py"):
        used |= set(re.findall(r"\brules\.([A-Z][A-Z0-9_]+)\b", source.read_text()))
    listed = {rule.id for rule in rules.all_rules()}
    for constant in used - {"DOCS_FILE", "LIBRARY", "GUIDE"}:
        assert getattr(rules, constant).id in listed


def test_every_defined_rule_is_used_by_the_code():
    sources = "\n".join(source.read_text() for source in LIBRARY.glob("*.py") if source.name != "rules.py")
    constants = [name for name, value in vars(rules).items() if isinstance(value, rules.Rule)]
    unused = [name for name in constants if f"rules.{name}" not in sources]
    assert unused == [], "a rule nobody enforces is a row that lies"


def test_every_api_shape_rule_names_a_shape_botocore_has():
    from cdk_sagemaker_inference import api_model

    for service, shape in rules.API_SHAPES:
        assert api_model.shape(shape, service).rule.id == f"Api.{shape}"


def test_ids_are_unique_and_warnings_are_marked():
    ids = [rule.id for rule in rules.all_rules()]
    assert len(ids) == len(set(ids))
    assert {rule.id for rule in rules.all_rules() if rule.severity == "warning"} == {
        "ModelArchiveName",
        "SingleInstance",
        "NoTraffic",
        "SingleSubnet",
        "MixedModelNetworks",
        "LocalInstanceStorage",
        "MultiModelGpuList",
        "DockerLabels",
        "ZeroWithoutScaleOut",
        "DeploymentFallback",
        "DeploymentProvisioning",
        "SsmAccess",
    }
