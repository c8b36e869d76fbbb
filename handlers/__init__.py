"""Everything that comes in: webhooks, Telegram handlers, the reply parser, the conversation."""
