"""Supervision (REQUIREMENTS L1, L3, A5): the journal check, reports for supervisors, and the
schedule that sends them. Public-opinion incidents are a workflow (bot/workflows/incident)."""
