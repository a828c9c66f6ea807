"""Alerts to staff: an urgent handoff, and a handoff about to miss or missing its
acknowledge-by time (P2, P3), by email and chat webhook, through the outbox (P12).

An alert names the handoff, never the tenant: no words, name, summary or ids.
"""
