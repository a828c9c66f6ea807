"""Repairs reported in a private conversation, triaged before a person takes them (P2, P3, P4).

Owns reading the triage answers (`triage`: what is wrong, where, since when, whether
anyone in the home is vulnerable, photos sent) and the repair request records
(`requests`), each tied to the tenancy the tenant verified for and to the handoff
that takes it to the Repairs team.
"""
