"""Admin and member slash commands, platform-neutral (REQUIREMENTS L4)."""
