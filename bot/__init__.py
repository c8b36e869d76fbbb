"""Brobygger's core: settings, database, models, channels, services, web app and CLI."""
