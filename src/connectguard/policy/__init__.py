"""An offline IAM / SCP policy evaluator (pure Python, no AWS calls).

Decides Allow / Deny / Conditional for a request against layers of policies (the SCP
chain root -> OUs -> account, a permission boundary, identity policies), following AWS's
documented evaluation logic. See docs/policy-evaluator.md.
"""

from connectguard.policy.document import ConditionClause, Policy, PolicyError, Statement, parse_policy
from connectguard.policy.evaluate import (
    ALLOW_ALL,
    Decision,
    Evaluation,
    Layer,
    StatementMatch,
    evaluate,
    principal_layers,
    scp_layers,
    statement_applies,
)
from connectguard.policy.request import Request, RequestContext

__all__ = [
    "ALLOW_ALL", "ConditionClause", "Decision", "Evaluation", "Layer", "Policy", "PolicyError", "Request",
    "RequestContext", "Statement", "StatementMatch", "evaluate", "parse_policy", "principal_layers", "scp_layers",
    "statement_applies",
]
