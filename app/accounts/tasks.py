"""The accounts' background tasks (Django's tasks API; ``manage.py worker``
runs them). Every mail the accounts send leaves from a task, never from a
request. A task's arguments are stored in its row, so they never hold a
token: a link is made when the mail is made."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from accounts import verification
from accounts.forms import PasswordResetForm
from accounts.mail import send_templated_mail
from accounts.models import User


def _site(domain, use_https):
    return {"domain": domain, "protocol": "https" if use_https else "http"}


@task
def send_password_reset(email, domain, use_https):
    """Mail a reset link to the account with this email, if there is one
    and its address is verified (any spelling of its mailbox; the link goes
    to the stored address). ``domain`` and ``use_https`` are the request's,
    for the link. Raises when the mail cannot be sent, so that the worker
    tries again later."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)


@task
def send_email_verification(user_id, domain, use_https):
    """Mail the link that verifies the address waiting for it (after signup,
    or a new one), if one still waits."""
    user = User._default_manager.filter(pk=user_id, is_active=True).first()
    email = verification.address_to_verify(user) if user is not None else None
    if email is None:
        return
    path = reverse("verify_email", args=[verification.make_token(user)])
    send_templated_mail(
        "registration/email_verification_subject.txt",
        "registration/email_verification_email.txt",
        {
            "user": user,
            "email": email,
            "link_path": path,
            "expires": timezone.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT),
            **_site(domain, use_https),
        },
        email,
    )


@task
def send_email_change_notice(user_id, old_email, domain, use_https):
    """Tell the account's address that a new one was asked for. It can do
    nothing from the mail but reset the password, which cancels the change."""
    user = User._default_manager.filter(pk=user_id).first()
    if user is None:
        return
    send_templated_mail(
        "registration/email_change_notice_subject.txt",
        "registration/email_change_notice_email.txt",
        {"user": user, "reset_path": reverse("password_reset"), **_site(domain, use_https)},
        old_email,
    )


def enqueue_after_commit(task_, request, **kwargs):
    """Enqueue ``task_`` once the request's transaction commits, with the
    request's host and scheme for the links it mails."""
    transaction.on_commit(
        partial(task_.enqueue, domain=request.get_host(), use_https=request.is_secure(), **kwargs)
    )
