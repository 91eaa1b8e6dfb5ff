"""Importing the handler in a fresh interpreter loads only what a decision needs."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("pydantic", "click", "rich", "yaml", "duckdb", "tree_sitter", "sigma", "jsonschema", "defusedxml",
             "moto", "connectguard.config", "connectguard.cli", "connectguard.fraud.admin",
             "connectguard.fraud.template", "connectguard.fraud.package", "connectguard.fraud.testing")


def loaded_after(code: str) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def test_handler_import_pulls_in_only_boto3_and_phonenumbers():
    modules = loaded_after("import connectguard.fraud as f\nf.lambda_handler")
    assert heavy(modules) == []
    assert "boto3" in modules and "phonenumbers" in modules  # the control: the handler really was loaded
    assert "connectguard.fraud.handler" in modules


def test_recognising_a_screening_function_costs_no_boto3():
    # The audit imports connectguard.fraud.identity; it must not pay for the Lambda's dependencies.
    modules = loaded_after("from connectguard.fraud import identity\nidentity.is_screening_function('x')")
    assert "boto3" not in modules and "phonenumbers" not in modules and heavy(modules) == []
