"""Actions as a registry: one :class:`~bot.actions.spec.ActionSpec` per kind, holding every
fact about it (the platform call, the right it needs, whether a restart re-applies it, what
cached state it invalidates, its notice and its fallback). The executor only journals, runs
specs and journals outcomes; adding an action kind is its enum value, its spec and its
catalogue lines."""
