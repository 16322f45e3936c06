"""Configuration: the YAML loader, thresholds, `init` and `config --check`."""
