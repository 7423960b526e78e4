"""Governance (issue 11, REQUIREMENTS G1-G7): every group filed (备案), approved up the chain
(R2 Art.9-10), and looked after until it is dissolved (R1 Art.14). Filings, approval steps,
hand-overs and lifecycle reminders all run on the workflow kernel: buttons
``wf:gov:<filing>:approve|reject``, text verbs ``/approve 12`` and ``/reject 12 理由``, and
persisted timers by kind."""
