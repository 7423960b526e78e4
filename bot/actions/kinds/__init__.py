"""One module per family of action kinds; each exposes ``SPECS``."""
