from django.urls import path

from risk import views

app_name = "risk"

urlpatterns = [
    path("", views.RiskListView.as_view(), name="list"),
    path("scores/<int:pk>/", views.ScoreDetailView.as_view(), name="score-detail"),
    path("enterprises/<str:tax_code>/", views.EnterpriseHistoryView.as_view(), name="enterprise"),
    path("criteria/", views.CriterionListView.as_view(), name="criterion-list"),
    path("criteria/new/", views.CriterionCreateView.as_view(), name="criterion-create"),
    path("criteria/<int:pk>/", views.CriterionDetailView.as_view(), name="criterion-detail"),
    path("criteria/<int:pk>/revise/", views.CriterionReviseView.as_view(), name="criterion-revise"),
    path("feedback/", views.FeedbackView.as_view(), name="feedback"),
    path("models/", views.ModelListView.as_view(), name="model-list"),
    path(
        "models/<int:pk>/approve/",
        views.ModelDecisionView.as_view(),
        {"action": "approve"},
        name="model-approve",
    ),
    path(
        "models/<int:pk>/retire/",
        views.ModelDecisionView.as_view(),
        {"action": "retire"},
        name="model-retire",
    ),
    path("runs/", views.RunListView.as_view(), name="run-list"),
    path("runs/start/", views.RunStartView.as_view(), name="run-start"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path("backtests/", views.BacktestListView.as_view(), name="backtest-list"),
    path("backtests/<int:pk>/", views.BacktestDetailView.as_view(), name="backtest-detail"),
]
