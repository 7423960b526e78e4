"""Platform adapters: turn platform updates into neutral events and apply actions."""
