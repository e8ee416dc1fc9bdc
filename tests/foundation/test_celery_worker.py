"""A real Celery worker process takes a task from the broker and writes to the
test database. Against Redis when it answers (CI always has it); otherwise
through Kombu's filesystem broker, so the test also runs on a bare machine."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from stq02.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] or "postgres"
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def _broker(tmp_path) -> tuple[str, dict]:
    url = os.environ.get("REDIS_URL") or os.environ.get(
        "TEST_REDIS_URL", "redis://127.0.0.1:6379/15"
    )
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url, {"REDIS_URL": url, "CELERY_BROKER_URL": url}
    except redis.exceptions.ConnectionError:
        queue_dir = tmp_path / "queue"
        queue_dir.mkdir()
        return "filesystem://", {
            "CELERY_BROKER_URL": "filesystem://",
            "CELERY_FILESYSTEM_DIR": str(queue_dir),
        }


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_that_writes_to_the_database(tmp_path):
    broker_url, broker_env = _broker(tmp_path)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@stq02"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(broker_env)
    env.update({"DATABASE_URL": _database_url(), "CELERY_TASK_ALWAYS_EAGER": "0", "DEBUG": "1"})
    env.pop("SECRET_KEY", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "stq02",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-n",
            node,
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sender = Celery(broker=broker_url, set_as_current=False)
        sender.conf.broker_transport_options = (
            {
                "data_folder_in": broker_env["CELERY_FILESYSTEM_DIR"],
                "data_folder_out": broker_env["CELERY_FILESYSTEM_DIR"],
            }
            if broker_url == "filesystem://"
            else {}
        )
        sender.send_task("stq02.heartbeat", queue=queue)
        deadline = time.monotonic() + 90
        while (
            time.monotonic() < deadline
            and not WorkerHeartbeat.objects.filter(hostname=node).exists()
        ):
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.5)
        beat = WorkerHeartbeat.objects.filter(hostname=node).first()
        if beat is None:
            worker.terminate()
            pytest.fail(
                f"the worker did not record its heartbeat within 90 s:\n{worker.communicate()[0]}"
            )
        assert beat.tasks_seen == 1
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        if worker.stdout:
            worker.stdout.close()
