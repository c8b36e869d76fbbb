"""The web app: health check now; dashboard and JSON API as they come."""
