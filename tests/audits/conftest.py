import os

# Playwright's sync API runs an event loop in the test thread; Django's live
# server and ORM calls from that thread are safe here (one thread, test database).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
