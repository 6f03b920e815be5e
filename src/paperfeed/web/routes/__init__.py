"""One router per area of the site; web/app.py includes them in one list."""
