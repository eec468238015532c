"""The API reference in docs/api is what pdoc builds from today's docstrings, without a warning."""

import subprocess
import sys

import cdk_sagemaker_inference
from tests.support import ROOT

API_DOCS = ROOT / "docs" / "api"
PAGE = "cdk_sagemaker_inference.html"


def test_docs_api_is_the_reference_pdoc_builds_without_warnings(tmp_path):
    build = [sys.executable, str(ROOT / "scripts" / "build_api_docs.py"), str(tmp_path)]
    result = subprocess.run(build, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    built = sorted(path.name for path in tmp_path.iterdir())
    assert built == sorted(path.name for path in API_DOCS.iterdir())
    for name in built:
        assert (tmp_path / name).read_bytes() == (API_DOCS / name).read_bytes(), "run `make docs` and commit docs/api"
    page = (tmp_path / PAGE).read_text()
    undocumented = [name for name in cdk_sagemaker_inference.__all__ if f'<section id="{name}">' not in page]
    assert undocumented == []
