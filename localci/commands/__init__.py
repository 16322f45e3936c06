"""One module per CLI command; each exposes one core function the CLI calls."""
