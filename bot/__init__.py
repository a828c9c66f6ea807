"""The tenant DM triage assistant's own package: one folder per feature.

Policy logic lives here, free of Rasa outside `channels/`: text, times and records in,
decisions out. Rules are cited by their number in the social media policy (P1-P12).
Layers, lowest first (tests/unit/test_layers.py holds them): `events`, `store`,
`settings`, `secret_masking`; `outbox`, `outbox_worker`, `intake`, `privacy/`, `text/`;
`handoff/`, `tenancy/`, `moderation/`, `platforms/`, `association`; `screening/`;
`channels/` (and the coming `console/`).
"""
