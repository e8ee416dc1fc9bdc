import socket

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from stq02.models import WorkerHeartbeat


@shared_task(name="stq02.heartbeat")
def heartbeat() -> str:
    """Record that a worker is alive (beat runs it every five minutes)."""
    hostname = heartbeat.request.hostname or socket.gethostname()
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(
        seen_at=now, tasks_seen=F("tasks_seen") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            hostname=hostname, defaults={"seen_at": now, "tasks_seen": 1}
        )
    return hostname
