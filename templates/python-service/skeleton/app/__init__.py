"""{{values.name}}: an HTTP service on FastAPI."""
