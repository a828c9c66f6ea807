"""The staff app: one Sanic app on CONSOLE_PORT. Under /api/ it serves the staff API, the
handoff service's JSON HTTP API and the only way staff tools act on conversations (list,
read, take, reply, transfer, hand back, close); the console's pages go under /.
docs/staff.md."""
