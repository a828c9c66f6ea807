"""The only code that imports Rasa (P12): the input channels, the runtime, the tracker store.

`facebook` and `twitter` are Rasa input channels over `base.DurableInput` (check,
record, acknowledge); `rest` is the local chat channel. `wiring.build_runtime` builds
the runtime whose workers hand recorded messages to Rasa (`runtime`, `dialogue`) and
send the outbox; `tracker_store` masks security answers before a conversation is
stored (P4). Payloads, API clients and delivery are each platform's (bot/platforms/).
"""
