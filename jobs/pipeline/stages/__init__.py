"""Pipeline stages: one module each, one public function, a small dataclass back.

The runner (``jobs.pipeline.worker``) orders them, records ``job.stage`` and progress, and turns failures
into a readable message. Stages that do not store anything do not import Django, so that the CLI
and the benchmarks run the very same code without a database.
"""
