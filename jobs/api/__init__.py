"""The JSON API and what serves it: API keys, rate limits, webhooks."""
