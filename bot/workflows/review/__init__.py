"""Review (复核): the classifier's unsure band goes to the group's own admins, who confirm it
(确认违规 → the category's ladder step, counted as an offence) or dismiss it (误报 → recorded
as a false positive, nothing done to the member) — with buttons, or ``/confirm 12`` and
``/dismiss 12``."""
