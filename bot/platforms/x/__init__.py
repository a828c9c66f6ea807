"""X: direct messages and mentions (payloads, API client, delivery)."""
