from django.urls import path

from enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("", views.EnterpriseListView.as_view(), name="list"),
    path("<str:tax_code>/", views.EnterpriseDetailView.as_view(), name="detail"),
]
