from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.DashboardView.as_view(), name="dashboard"),
    path("reports/statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("reports/jobs/", views.ReportListView.as_view(), name="report-list"),
    path(
        "reports/jobs/<int:pk>/progress/",
        views.ReportProgressView.as_view(),
        name="report-progress",
    ),
    path(
        "reports/jobs/<int:pk>/download/",
        views.ReportDownloadView.as_view(),
        name="report-download",
    ),
]
