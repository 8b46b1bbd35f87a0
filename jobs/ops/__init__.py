"""For operators: health and metrics endpoints, logs, security headers, the shared cache."""
