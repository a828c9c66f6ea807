"""Handing a conversation to a person, and the staff side of it (P1, P2, P3, P11).

Owns handoffs and their deadlines (`handoffs`), the association's working hours
(`working_hours`) and what staff do to a paused conversation through Rasa's HTTP API
(`conversations`): hand back, close.
"""
