"""Batch pages, upload and the imports API: what each persona sees."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from declarations.models import Declaration
from integrations import pipeline
from integrations.models import ImportBatch
from tests.integrations.samples import declarations, write_csv


@pytest.fixture(autouse=True)
def _english_pages(request):
    """Pages follow the user's language; these tests read the English text."""
    if "world" in request.fixturenames:
        from stq02.models import User

        request.getfixturevalue("world")
        User.objects.update(language="en")


def csv_bytes(tmp_path, rows, name="tk.csv") -> bytes:
    return write_csv(tmp_path / name, rows).read_bytes()


@pytest.fixture
def batch_a(world, tmp_path):
    rows = declarations(2, lines=1)
    rows[1]["hs_code"] = "12"
    path = write_csv(tmp_path / "a.csv", rows)
    batch = pipeline.create_batch(source="vnaccs-csv", path=path, user=world.officer_a)
    return pipeline.run_batch(batch_id=batch.pk)


def test_officer_uploads_a_file_and_sees_the_batch(
    world, tmp_path, django_capture_on_commit_callbacks
):
    client = world.client("officer_a")
    upload = SimpleUploadedFile("tk.csv", csv_bytes(tmp_path, declarations(3)), "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("integrations:upload"), {"source": "vnaccs-csv", "file": upload}
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("integrations:batch-detail", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.new_count == 3
    assert batch.unit == world.team_a and batch.uploaded_by == world.officer_a
    assert Declaration.objects.count() == 3
    page = client.get(response.url).content.decode()
    assert "tk.csv" in page and 'id="count-new">3<' in page and "No row was rejected." in page
    assert "batch-progress" not in page  # no polling once done


def test_upload_form_refuses_a_wrong_suffix(world, tmp_path):
    upload = SimpleUploadedFile("tk.txt", b"x", "text/plain")
    response = world.client("officer_a").post(
        reverse("integrations:upload"), {"source": "vnaccs-xlsx", "file": upload}
    )
    assert response.status_code == 200
    assert "needs a .xlsx file" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_api_client_may_not_use_the_upload_page(world):
    client = world.client(None)
    client.force_login(world.api_a)
    assert client.get(reverse("integrations:upload")).status_code == 403


def test_batch_list_is_scoped_by_unit(world, batch_a):
    url = reverse("integrations:batch-list")
    assert "a.csv" in world.client("officer_a").get(url).content.decode()
    assert "a.csv" in world.client("head_a").get(url).content.decode()
    assert "a.csv" in world.client("central_officer").get(url).content.decode()
    assert "a.csv" not in world.client("officer_b").get(url).content.decode()
    assert world.client(None).get(url).status_code == 302


@pytest.mark.parametrize(
    "name",
    [
        "integrations:batch-detail",
        "integrations:batch-progress",
        "integrations:batch-rejections-csv",
    ],
)
def test_another_units_batch_is_404(world, batch_a, name):
    url = reverse(name, args=[batch_a.pk])
    assert world.client("officer_b").get(url).status_code == 404
    assert world.client("head_b").get(url).status_code == 404
    assert world.client("officer_a").get(url).status_code == 200
    assert world.client("department_head").get(url).status_code == 200


def test_detail_shows_rejections_and_a_running_batch_polls(world, batch_a):
    client = world.client("officer_a")
    page = client.get(reverse("integrations:batch-detail", args=[batch_a.pk])).content.decode()
    assert "Row 2, field hs_code" in page
    assert reverse("integrations:batch-rejections-csv", args=[batch_a.pk]) in page
    ImportBatch.objects.filter(pk=batch_a.pk).update(status=ImportBatch.Status.RUNNING)
    page = client.get(reverse("integrations:batch-detail", args=[batch_a.pk])).content.decode()
    assert reverse("integrations:batch-progress", args=[batch_a.pk]) in page
    status = client.get(reverse("integrations:batch-progress", args=[batch_a.pk])).json()
    assert status["status"] == "running"
    assert (status["new"], status["rejected"], status["rows_done"], status["rows_total"]) == (
        1,
        1,
        2,
        2,
    )


def test_rejections_csv_download(world, batch_a):
    response = world.client("officer_a").get(
        reverse("integrations:batch-rejections-csv", args=[batch_a.pk])
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.startswith("declaration_number,") and header.endswith(",_row,_field,_reason")
    assert row.startswith("105000000002,") and ",2,hs_code," in row


# --- API ---------------------------------------------------------------------------------


def test_api_client_pushes_a_file(world, tmp_path, django_capture_on_commit_callbacks):
    api = world.api("api_a")
    data = {"source": "vnaccs-csv", "file": io.BytesIO(csv_bytes(tmp_path, declarations(2)))}
    data["file"].name = "push.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api:import-list"), data, format="multipart")
    assert response.status_code == 202
    batch_id = response.json()["id"]
    detail = api.get(reverse("api:import-detail", args=[batch_id])).json()
    assert detail["status"] == "done" and detail["new_count"] == 2
    assert detail["unit"] == "KV-A" and detail["file_name"] == "push.csv"
    assert len(detail["sha256"]) == 64


def test_api_refuses_an_unknown_source_with_the_error_shape(world, tmp_path):
    data = {"source": "nope", "file": io.BytesIO(b"x")}
    data["file"].name = "x.csv"
    response = world.api("api_a").post(reverse("api:import-list"), data, format="multipart")
    assert response.status_code == 400
    assert "source" in str(response.json()["error"])


def test_api_scoping_and_rejections(world, batch_a):
    ours = world.api("api_a").get(reverse("api:import-list")).json()
    assert [b["id"] for b in ours["results"]] == [batch_a.pk]
    theirs = world.api("officer_b").get(reverse("api:import-list")).json()
    assert theirs["results"] == []
    for name in ("api:import-detail", "api:import-rejections"):
        assert world.api("officer_b").get(reverse(name, args=[batch_a.pk])).status_code == 404
    rejected = world.api("api_a").get(reverse("api:import-rejections", args=[batch_a.pk])).json()
    assert rejected["results"][0]["field"] == "hs_code"
    assert rejected["results"][0]["raw"]["hs_code"] == "12"
    assert world.api(None).get(reverse("api:import-list")).status_code in (401, 403)


def test_pull_task_does_nothing_without_a_configured_url(db, monkeypatch):
    from integrations.tasks import pull_source

    monkeypatch.delenv("INGEST_PULL_VCIS_HTTP_URL", raising=False)
    assert pull_source.delay("vcis-http").get() == 0
    assert ImportBatch.objects.count() == 0


def test_process_batch_task_is_safe_to_run_twice(world, tmp_path):
    from integrations.tasks import process_batch

    path = write_csv(tmp_path / "twice.csv", declarations(2))
    batch = pipeline.create_batch(source="vnaccs-csv", path=path, user=world.officer_a)
    assert process_batch.delay(batch.pk).get() == "done"
    assert process_batch.delay(batch.pk).get() == "done"
    batch.refresh_from_db()
    assert (batch.new_count, batch.unchanged_count) == (2, 0)
    assert Declaration.objects.count() == 2
