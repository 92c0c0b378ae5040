"""No secret lands in the audit trail, in a log line or in a task's row:
every account flow is walked, and every password, code, key and link token
it used is searched for in all three."""

import json
import re

from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from accounts import second_factor
from accounts.tests.factories import NEW_PASSWORD, PASSWORD, code_of, link_in, signup_form
from audit.events import Event
from audit.models import SecurityEvent
from logs.tests.support import JsonLines
from worker.tests.support import tasks_run_after

# Every event but "throttled" and "admin_login" (test_trail, test_admin_access).
WALKED_EVENTS = set(Event.values) - {Event.THROTTLED, Event.ADMIN_LOGIN}
RESET_PASSWORD = "reset-long-unusual-passphrase"
WRONG_PASSWORD = "wrong-long-unusual-passphrase"


class NoSecretsTests(TestCase):
    def setUp(self):
        self.secrets = {
            "password": PASSWORD,
            "wrong password": WRONG_PASSWORD,
            "new password": NEW_PASSWORD,
            "reset password": RESET_PASSWORD,
        }

    def keep(self, name, value):
        self.secrets[name] = value
        return value

    def post(self, name, data=None, **kwargs):
        with tasks_run_after(self):
            return self.client.post(reverse(name, **kwargs) if "/" not in name else name, data)

    def keep_recovery_codes(self, page, which):
        codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", page.content.decode())
        self.assertEqual(len(codes), 10)
        for n, code in enumerate(codes):
            self.keep(f"{which} recovery code {n}", code)
            self.keep(f"{which} recovery code {n} typed", code.replace("-", ""))
        return codes

    def walk_every_flow(self):
        self.post("signup", signup_form("grace"))
        verify = self.keep("signup link", link_in(mail.outbox[-1], "verify_email"))
        self.post(verify)

        self.client.get(reverse("two_factor_enable"))
        device = TOTPDevice.objects.get(user__username="grace")
        self.keep("key", device.key)
        self.keep("key in base32", second_factor.secret_text(device).replace(" ", ""))
        page = self.post("two_factor_enable", {"code": self.keep("code 1", code_of(device))})
        codes = self.keep_recovery_codes(page, "first")

        self.post("logout")
        self.post("login", {"username": "grace", "password": WRONG_PASSWORD})
        self.post("login", {"username": "grace", "password": PASSWORD})
        self.post("login_code", {"code": "000000"})
        self.post("login_code", {"code": self.keep("code 2", code_of(device, 1))})
        self.post("logout")
        self.post("login", {"username": "grace", "password": PASSWORD})
        self.post("login_code", {"code": codes[0]})

        self.post("reauthenticate", {"password": WRONG_PASSWORD})
        self.post("reauthenticate", {"password": PASSWORD})
        self.post("email_change", {"email": "grace@new.example", "password": PASSWORD})
        self.post(self.keep("change link", link_in(mail.outbox[-2], "verify_email")))
        codes = self.keep_recovery_codes(self.post("two_factor_recovery_codes"), "new")
        self.post("two_factor_disable", {"password": PASSWORD, "code": codes[1]})

        self.post("logout")
        self.post("password_reset", {"email": "grace@new.example"})
        reset = self.keep("reset link", link_in(mail.outbox[-1], "password_reset_confirm"))
        form = self.client.get(reset, follow=True).redirect_chain[-1][0]
        self.post(form, {"new_password1": RESET_PASSWORD, "new_password2": RESET_PASSWORD})
        self.post("login", {"username": "grace", "password": RESET_PASSWORD})
        self.post(
            "password_change",
            {
                "old_password": RESET_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

    def test_no_secret_lands_in_a_row_or_a_log_line(self):
        with JsonLines() as captured:
            self.walk_every_flow()
        lines = captured.stream.getvalue().splitlines()
        rows = [
            json.dumps(row, default=str)
            for row in SecurityEvent.objects.values(
                "event", "user_agent", "request_id", "details", "client_address"
            )
        ]
        tasks = [json.dumps(row.args_kwargs) for row in DBTaskResult.objects.all()]
        # The walk did what it says: every kind of event, and the lines to search.
        events = {json.loads(row)["event"] for row in rows}
        self.assertEqual(events, WALKED_EVENTS)
        self.assertGreater(len(lines), 40)
        self.assertGreater(len(self.secrets), 20)
        for where, texts in (("audit row", rows), ("log line", lines), ("task row", tasks)):
            for name, secret in self.secrets.items():
                # A link's secret part: its token (the last path segment).
                needle = secret.rstrip("/").rsplit("/", 1)[-1] if "/" in secret else secret
                with self.subTest(where=where, secret=name):
                    found = [text for text in texts if needle.lower() in text.lower()]
                    self.assertEqual(found, [], f"the {name} is in a {where}")
