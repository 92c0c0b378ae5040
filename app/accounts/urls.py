from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from limits.admission import hashes_passwords

# Django's standard auth paths and names; most views are ours. Those that hash
# a password take turns on the event loop when they are posted to (limits.admission).
urlpatterns = [
    path("signup/", hashes_passwords(views.SignupView.as_view()), name="signup"),
    path("login/", hashes_passwords(views.LoginView.as_view()), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path(
        "password_change/",
        hashes_passwords(views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        hashes_passwords(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
