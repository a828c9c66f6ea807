"""What happens to each inbound message before the dialogue (P5, P6, P7, P10, P11).

Owns the coordinator (`coordinator.Screening`): every inbound message is checked for
personal details and moderated; a public post that must come down is hidden or
deleted, its author warned, blocked or reported; a public question that needs a
private conversation is answered in public and moved (`public_threads`). It writes
platform calls to the outbox and never calls a platform itself. No Rasa here.
"""
