"""A job's life in the worker: the runner, its stages, persistence, cache, sweeper, notices."""
