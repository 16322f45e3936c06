"""Git hooks: the pre-push hook that signs and publishes on push."""
