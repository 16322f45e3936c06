"""Publishing: the notes ref, GitHub Check Runs and commit statuses, the spool, fetch."""
