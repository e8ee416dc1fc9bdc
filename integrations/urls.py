from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.BatchListView.as_view(), name="batch-list"),
    path("upload/", views.UploadView.as_view(), name="upload"),
    path("<int:pk>/", views.BatchDetailView.as_view(), name="batch-detail"),
    path("<int:pk>/progress.json", views.BatchProgressView.as_view(), name="batch-progress"),
    path("<int:pk>/rejected.csv", views.RejectionsCsvView.as_view(), name="batch-rejections-csv"),
]
