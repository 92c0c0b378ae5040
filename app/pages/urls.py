from django.urls import path

from pages.views import AboutPageView, FaviconView, HomePageView

urlpatterns = [
    path("", HomePageView.as_view(), name="home"),
    path("about/", AboutPageView.as_view(), name="about"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
]
