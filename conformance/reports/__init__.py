"""Result model and its renderers (console, JSON)."""
