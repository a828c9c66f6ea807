"""Facebook: Messenger and the page's comments and posts (payloads, Graph API, delivery)."""
