"""Workflows on one kernel: buttons routed by workflow name, text verbs for platforms without
buttons, and persisted timers dispatched by kind. Each workflow is a package here."""
