"""Service functions: every write goes through one of these, which also writes the audit entry.

Routes and CLI commands parse input and render output; they never add or delete rows themselves.
Services flush but do not commit: the request wrapper (or the CLI command) commits once.
"""
