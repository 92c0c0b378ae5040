from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import email, login, passwords, profile, second_factor, signup
from limits.admission import hashes_passwords

# Django's standard auth paths and names, and ours beside them; most views are
# ours. Those that hash a password take turns on the event loop when they are
# posted to (limits.admission).
urlpatterns = [
    path("signup/", hashes_passwords(signup.SignupView.as_view()), name="signup"),
    path("login/", hashes_passwords(login.LoginView.as_view()), name="login"),
    path("login/code/", login.LoginCodeView.as_view(), name="login_code"),
    path("logout/", login.LogoutView.as_view(), name="logout"),
    path(
        "reauthenticate/",
        hashes_passwords(login.ReauthenticateView.as_view()),
        name="reauthenticate",
    ),
    path("profile/", profile.ProfileView.as_view(), name="profile"),
    path(
        "password_change/",
        hashes_passwords(passwords.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", passwords.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        passwords.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        hashes_passwords(passwords.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "email/verify/",
        email.EmailVerificationNeededView.as_view(),
        name="email_verification_needed",
    ),
    path(
        "email/verify/again/",
        email.ResendVerificationView.as_view(),
        name="email_verification_resend",
    ),
    path("email/verify/<str:token>/", email.VerifyEmailView.as_view(), name="verify_email"),
    path("email/change/", hashes_passwords(email.EmailChangeView.as_view()), name="email_change"),
    path(
        "two-factor/on/",
        second_factor.SecondFactorEnableView.as_view(),
        name="two_factor_enable",
    ),
    path(
        "two-factor/off/",
        hashes_passwords(second_factor.SecondFactorDisableView.as_view()),
        name="two_factor_disable",
    ),
    path(
        "two-factor/recovery-codes/",
        second_factor.RecoveryCodesView.as_view(),
        name="two_factor_recovery_codes",
    ),
]
