"""The Facebook and X connectors, and the platform clients the outbox sends through.

`signatures` and `events` are pure (signature checks, payload parsing); `facebook` and
`twitter` are Rasa input channels; `graph_api` and `x_api` are the platform clients.
"""
