"""The web app: health check, the staff dashboard (pages) and the JSON API under ``/api``."""
