"""The sandbox: the tenant's side of Facebook, X, Instagram, YouTube and LinkedIn,
without platform accounts (P3, P7, P9).

When no platform credential is set, `make run` starts the assistant in sandbox mode:
the staff app plays the five platforms' APIs on loopback (standin.py, served by
bot/console/sandbox_pages.py), keeps what a tenant would see in memory (world.py),
and posts what is typed there to the Rasa server's real webhooks, signed as the
platforms sign (sender.py), or leaves it for the Rasa server's pollers (YouTube,
LinkedIn). It can never reach a real platform (mode.py).
"""
