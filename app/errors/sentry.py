"""Error reporting to Sentry, on only when ``SENTRY_DSN`` is set.

No personal data leaves: ``send_default_pii`` stays off, so Sentry drops
cookies, the user's address and identity, and scrubs fields such as passwords.
(sentry-sdk 2.75 deprecates passing the option in favour of ``data_collection``;
leaving both unset is the SDK's ``send_default_pii=False`` behaviour, while a
``data_collection`` dict would collect more by default.) Each
event carries the request id of ``RequestLogMiddleware``, to find its log lines.
"""

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.utils import BadDsn, Dsn

from config.env import ConfigError
from logs.json_lines import request_id_var


def add_request_id(event, hint):
    request_id = request_id_var.get()
    if request_id != "-":
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def init_sentry(dsn, environment, release, traces_sample_rate, **options):
    try:
        Dsn(dsn)
    except BadDsn:
        raise ConfigError(
            "SENTRY_DSN is not a Sentry DSN: copy it from the project's Client Keys page"
        ) from None
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        before_send=add_request_id,
        **options,
    )
