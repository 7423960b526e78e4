"""Escalation (上报, L2): offences go to supervisors by tier; supervisors acknowledge, lift the
action, or mark a false positive — with buttons, or ``/ack 12``, ``/lift 12``, ``/fp 12``."""
