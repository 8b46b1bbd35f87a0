"""gunicorn's settings for Lectern, which gunicorn reads from its working directory: `make run`
(manage.py serve), the image's command and compose.yaml's web service all start it in the project
directory. Options on the command line still win.

With ``LECTERN_LOG_FORMAT=json``, gunicorn's own lines (start-up, workers, the access log) are JSON
objects like the application's (jobs.ops.logs.JsonFormatter), so that a log collector reads one
format; Django's LOGGING only reaches the application's loggers.
"""

from __future__ import annotations

import os

if os.environ.get("LECTERN_LOG_FORMAT", "plain").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "jobs.ops.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            # Not propagated: once Django configures the root logger, a propagated line would be
            # written twice.
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
