"""Running stages: the pipeline, worktree, stage processes, cache and console reporter."""
