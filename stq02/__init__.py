from stq02.celery import app as celery_app

__all__ = ["celery_app"]
