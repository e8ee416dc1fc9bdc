from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.DashboardView.as_view(), name="dashboard"),
]
