"""The accounts' background tasks (Django's tasks API; ``manage.py worker``
runs them). Every mail the accounts send leaves from a task, never from a
request."""

from django.tasks import task

from accounts.forms import PasswordResetForm


@task
def send_password_reset(email, domain, use_https):
    """Mail a reset link to the account with this email, if there is one
    (any spelling of its mailbox; the link goes to the stored address).
    ``domain`` and ``use_https`` are the request's, for the link. Raises
    when the mail cannot be sent, so that the worker tries again later."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
