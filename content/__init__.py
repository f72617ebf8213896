"""What to say, in which language: red-flag toolkits (a pure library; built out by the toolkit issue)."""
