"""Accounts: sign-up, the profile page with usage and quota, sign-in throttling."""
