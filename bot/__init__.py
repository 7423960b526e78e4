"""GroupGuard application layer: events, executor, commands, scheduling, CLI."""
