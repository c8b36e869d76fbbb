"""Use cases that staff invoke (dashboard, API, CLI); each takes a session."""
