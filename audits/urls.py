from django.urls import path

from audits import views

app_name = "audits"

urlpatterns = [
    path("", views.CaseListView.as_view(), name="case-list"),
    path("new/", views.CaseCreateView.as_view(), name="case-create"),
    path("propose/", views.CaseProposeView.as_view(), name="case-propose"),
    path("plan/", views.PlanView.as_view(), name="plan"),
    path("workload/", views.WorkloadView.as_view(), name="workload"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("<int:pk>/steps/<slug:action>/", views.CaseStepView.as_view(), name="case-step"),
    path("<int:pk>/scope/", views.ScopeView.as_view(), name="case-scope"),
    path("<int:pk>/findings/new/", views.FindingCreateView.as_view(), name="finding-create"),
    path(
        "<int:pk>/findings/<int:finding>/collection/",
        views.FindingCollectionView.as_view(),
        name="finding-collection",
    ),
    path(
        "<int:pk>/attachments/new/", views.AttachmentUploadView.as_view(), name="attachment-upload"
    ),
    path(
        "documents/<int:document>/", views.DocumentDownloadView.as_view(), name="document-download"
    ),
    path(
        "attachments/<int:attachment>/",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
]
