"""agreement stage."""
