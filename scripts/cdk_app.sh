#!/bin/sh
# The CDK CLI's app command (cdk.json): the sample app on the project's venv, or why it cannot run yet.
if [ ! -x .venv/bin/python ]; then
    echo "cdk-sagemaker-inference: no .venv here yet. Run 'make synth' first (or 'make setup'):" \
        "it installs the pinned Python dependencies the app needs." >&2
    exit 1
fi
exec .venv/bin/python app.py
