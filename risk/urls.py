app_name = "risk"

urlpatterns = []
