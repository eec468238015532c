"""Build the API reference (HTML, one page of every public name) from the docstrings with pdoc.

Usage: python scripts/build_api_docs.py OUTDIR. Fails, printing them, on any warning pdoc raises (an unresolved
reference, a docstring it cannot parse). The output is byte-stable: the interpreter runs with PYTHONHASHSEED=0,
so a set's rendered order never changes, and no source code or search index is written.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

PACKAGE = "cdk_sagemaker_inference"


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    os.environ["PDOC_ALLOW_EXEC"] = "1"  # importing aws-cdk-lib starts the jsii runtime, a Node.js process
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="restructuredtext", show_source=False, search=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(PACKAGE, output_directory=Path(sys.argv[1]))
    pdoc_warnings = [warning for warning in caught if "pdoc" in Path(warning.filename).parts]
    for warning in pdoc_warnings:
        print(f"pdoc: {warning.message}", file=sys.stderr)
    sys.exit(1 if pdoc_warnings else 0)


if __name__ == "__main__":
    main()
