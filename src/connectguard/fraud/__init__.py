"""Caller screening for Amazon Connect: a deny-list and velocity Lambda backed by DynamoDB.

The Lambda handler string is ``connectguard.fraud.lambda_handler``. This package
``__init__`` stays import-light on purpose: importing ``connectguard.fraud`` (or
``connectguard.fraud.identity``, which the audit uses to recognise a screening
function) loads only the standard library. The handler and its two dependencies
(boto3, phonenumbers lite) are loaded when ``lambda_handler`` is first looked up,
which the Lambda runtime does while it initialises the function (init phase), so a
cold start pays for them once and an audit never does.

Admin operations (``admin``), packaging (``package``) and template generation
(``template``) live in sibling modules the handler never imports.
"""

from __future__ import annotations

from typing import Any

from connectguard.fraud.identity import HANDLER

__all__ = ["HANDLER", "lambda_handler"]


def __getattr__(name: str) -> Any:
    # PEP 562 module __getattr__: the runtime's getattr(module, "lambda_handler")
    # imports the handler module during the init phase.
    if name == "lambda_handler":
        from connectguard.fraud.handler import lambda_handler

        globals()["lambda_handler"] = lambda_handler
        return lambda_handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
