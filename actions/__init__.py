"""Rasa-sdk custom actions: thin, one module per feature.

Each action reads slots, calls `bot`, and maps the answer to responses and events.
Dependencies are passed to constructors; the defaults come from `actions.dependencies`.
"""
