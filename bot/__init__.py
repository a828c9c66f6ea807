"""The tenant DM triage assistant's own package.

Policy logic lives here, free of Rasa: text, times and records in, decisions out.
Rules are cited by their number in the social media policy (P1-P12, see DESIGN.md).
"""
