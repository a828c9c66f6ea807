"""The staff API: the handoff service's JSON HTTP API, the only way staff tools act on
conversations (list, read, take, reply, transfer, hand back, close). docs/staff.md."""
