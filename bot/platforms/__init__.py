"""The platforms the association answers on: one folder each (P5, P7, P12).

Each folder holds what is particular to one platform: reading its webhook payloads,
its API client, and how the outbox's calls are made through it. What they share (the
HTTP client with its timeouts and retry rules, signature checks, tolerant payload
reading) sits beside them. A new platform is one new folder. No Rasa here.
"""
