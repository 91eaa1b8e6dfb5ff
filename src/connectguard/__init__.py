"""connectguard: security posture and hardening for Amazon Connect.

This module must stay import-light: the fraud-screening Lambda imports
``connectguard.fraud`` and pays for everything imported here at cold start.
"""

__version__ = "0.1.0"
