"""The tenant's file and who may hear it (P4, P5, P9).

Owns tenancy records (`records`), the identity check by security questions
(`identity`), reading tenants' answers (`answers`), sealing the answers on file
(`security_question`), masking answers before a conversation is stored (`masking`)
and what may be said from the file once a tenant is confirmed (`disclosure`).
"""
