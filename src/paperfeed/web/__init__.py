"""The web app: server-rendered pages, their JSON, the /api/ endpoints and feeds. Start at app.create_app."""
