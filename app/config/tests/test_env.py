from django.test import SimpleTestCase

from config.env import ConfigError, Env


class EnvTests(SimpleTestCase):
    def test_booleans_accept_common_words_in_any_case(self):
        env = Env({"A": "TRUE", "B": "off", "C": "1"})
        self.assertEqual([env.bool("A"), env.bool("B"), env.bool("C")], [True, False, True])

    def test_unset_or_blank_values_take_the_default(self):
        env = Env({"BLANK": "  "})
        self.assertFalse(env.bool("BLANK", default=False))
        self.assertEqual(env.list("UNSET", default=["x"]), ["x"])

    def test_lists_ignore_spaces_and_empty_items(self):
        env = Env({"HOSTS": " example.com, ,www.example.com "})
        self.assertEqual(env.list("HOSTS"), ["example.com", "www.example.com"])

    def test_every_name_read_is_recorded_once(self):
        env = Env({})
        env.str("A", default="")
        env.str("A", default="")
        env.int("B", default=1, minimum=0, maximum=9)
        self.assertEqual(env.names, ["A", "B"])

    def test_a_minimum_is_enforced(self):
        with self.assertRaisesMessage(ConfigError, "N must be at least 1 (got 0)"):
            Env({"N": "0"}).int("N", minimum=1, maximum=9)

    def test_a_maximum_is_enforced(self):
        with self.assertRaisesMessage(ConfigError, "N must be at most 9 (got 10)"):
            Env({"N": "10"}).int("N", minimum=1, maximum=9)

    def test_numbers_that_are_not_finite_are_refused(self):
        for value in ("inf", "-inf", "nan", "Infinity", "NaN"):
            with self.subTest(value), self.assertRaisesMessage(ConfigError, "N must be a finite"):
                Env({"N": value}).float("N", minimum=0, maximum=9)

    def test_smtp_url_becomes_a_mailer_with_options(self):
        mailer = Env({"EMAIL_URL": "smtp+tls://mailer:s3cret@smtp.example.com:587"}).email_url(
            "EMAIL_URL", default="consolemail://"
        )
        self.assertEqual(mailer["BACKEND"], "django.core.mail.backends.smtp.EmailBackend")
        self.assertEqual(
            mailer["OPTIONS"],
            {
                "host": "smtp.example.com",
                "port": 587,
                "username": "mailer",
                "password": "s3cret",
                "use_tls": True,
                "use_ssl": False,
                "timeout": 10,
            },
        )

    def test_file_url_becomes_a_file_mailer(self):
        mailer = Env({"EMAIL_URL": "filemail:///tmp/mail"}).email_url("EMAIL_URL", default="")
        self.assertEqual(mailer["OPTIONS"], {"file_path": "/tmp/mail"})

    def test_database_url_keeps_host_port_and_credentials(self):
        config = Env({"DATABASE_URL": "postgresql://u:p%40ss@db.internal:6432/shop"}).database_url(
            "DATABASE_URL"
        )
        self.assertEqual(config["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual(
            (config["HOST"], config["PORT"], config["USER"], config["PASSWORD"], config["NAME"]),
            ("db.internal", 6432, "u", "p@ss", "shop"),
        )
