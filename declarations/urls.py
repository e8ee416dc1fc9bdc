from django.urls import path

from declarations import views

app_name = "declarations"

urlpatterns = [
    path("", views.DeclarationListView.as_view(), name="list"),
    path("<str:number>/", views.DeclarationDetailView.as_view(), name="detail"),
]
