"""One module per rule; each exposes ``RULE`` (see ``rules.engine.Rule``)."""
