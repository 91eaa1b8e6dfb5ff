"""The Amazon Connect flow language as a graph (a pure library: no AWS, no files).

* :mod:`connectguard.flows.language` parses one flow's or module's ``Content`` into
  actions and transitions. Unknown action types are kept as opaque actions; malformed
  content becomes a per-flow problem, never an exception.
* :mod:`connectguard.flows.graph` builds one instance's cross-flow graph: flows and
  modules, TransferToFlow / InvokeFlowModule resolved, and the entry points (phone
  numbers through ListFlowAssociations, plus configured chat/task/email entry flows).
* :mod:`connectguard.flows.analysis` runs a forward data-flow analysis over that graph
  (logging state, screening state, ...) and returns witness paths for violations.

The flow-logging and fraud-screening checks share one graph per instance through
``CheckContext.memo`` (see :func:`connectguard.flows.graph.instance_graph`).
"""

from connectguard.flows.graph import EntryPoint, FlowGraph, FlowUnit, build_graph
from connectguard.flows.language import Action, ParsedFlow, Transition, parse_content

__all__ = [
    "Action",
    "EntryPoint",
    "FlowGraph",
    "FlowUnit",
    "ParsedFlow",
    "Transition",
    "build_graph",
    "parse_content",
]
