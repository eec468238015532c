"""``python -m cdk_sagemaker_inference [ID ...]``: print the named rules, or all of them (``docs/rules.md``)."""

import sys

from .rules import describe

try:
    print(describe([arg.strip("[]") for arg in sys.argv[1:]]), end="")
except KeyError as error:
    sys.exit(error.args[0])
