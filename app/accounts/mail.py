"""How the accounts' mails are made and sent: one subject line and a text
body, from templates. A failure to send raises, so that the task sending it
(``accounts.tasks``) is retried by the worker."""

from django.core.mail import EmailMultiAlternatives
from django.template import loader


def send_templated_mail(
    subject_template_name, email_template_name, context, to_email, html_email_template_name=None
):
    subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
    body = loader.render_to_string(email_template_name, context)
    message = EmailMultiAlternatives(subject, body, None, [to_email])
    if html_email_template_name is not None:
        html = loader.render_to_string(html_email_template_name, context)
        message.attach_alternative(html, "text/html")
    message.send()
