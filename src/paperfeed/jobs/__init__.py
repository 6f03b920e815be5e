"""Scheduled jobs: what runs by itself (catalog.py), the run of one due time exactly once however many
processes fire it (runner.py), and the thin APScheduler layer that fires them (scheduler.py). Every job
calls the same library functions as its CLI command (tasks.py)."""
