"""Deletion guardrails: which protections an estate needs, whether its SCP chain gives them, and the plan and apply of SCPs that do."""
