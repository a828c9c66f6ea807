"""Instagram: direct messages and comments on the account's posts (P5, P7, P12)."""
