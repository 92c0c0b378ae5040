from django.test import SimpleTestCase

from config.env import ConfigError, Env, servable_hosts


class EnvTests(SimpleTestCase):
    def test_booleans_accept_common_words_in_any_case(self):
        env = Env({"A": "TRUE", "B": "off", "C": "1"})
        self.assertEqual([env.bool("A"), env.bool("B"), env.bool("C")], [True, False, True])

    def test_a_word_that_is_not_a_boolean_is_refused_naming_the_variable(self):
        for value in ("maybe", "2", "-1", "tru", "enabled", "yes please", "0.0"):
            with (
                self.subTest(value),
                self.assertRaisesMessage(ConfigError, "DEBUG is not a boolean"),
            ):
                Env({"DEBUG": value}).bool("DEBUG", default=False)

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


class NumberTests(SimpleTestCase):
    """Numbers are read as Python writes them: django-environ's float cast
    would read "10s" as 10 and "1,5" as 1.5."""

    def test_a_number_with_a_unit_or_a_comma_is_refused(self):
        for value in ("10s", "1,5", "5 seconds"):
            with self.subTest(value):
                with self.assertRaisesMessage(ConfigError, "DATABASE_POOL_TIMEOUT is not a number"):
                    Env({"DATABASE_POOL_TIMEOUT": value}).float(
                        "DATABASE_POOL_TIMEOUT", minimum=0, maximum=60
                    )
                with self.assertRaisesMessage(ConfigError, "WEB_CONCURRENCY is not an integer"):
                    Env({"WEB_CONCURRENCY": value}).int("WEB_CONCURRENCY", minimum=1, maximum=64)

    def test_a_number_as_python_writes_it_is_read(self):
        env = Env({"A": "2.5", "B": "1e1", "C": "12"})
        self.assertEqual(env.float("A", minimum=0, maximum=100), 2.5)
        self.assertEqual(env.float("B", minimum=0, maximum=100), 10.0)
        self.assertEqual(env.int("C", minimum=0, maximum=100), 12)


class ChoiceTests(SimpleTestCase):
    def test_a_choice_is_one_of_its_words(self):
        env = Env({"ASGI_HANDLER": "django"})
        self.assertEqual(env.choice("ASGI_HANDLER", ["fastpath", "django"]), "django")

    def test_an_unset_choice_is_its_default(self):
        self.assertEqual(
            Env({}).choice("ASGI_HANDLER", ["fastpath", "django"], "fastpath"), "fastpath"
        )

    def test_any_other_word_is_refused_naming_the_variable_and_the_words(self):
        with self.assertRaisesMessage(
            ConfigError, "ASGI_HANDLER is not fastpath or django ('Django')"
        ):
            Env({"ASGI_HANDLER": "Django"}).choice("ASGI_HANDLER", ["fastpath", "django"])

    def test_an_upper_case_choice_is_read_in_any_case(self):
        env = Env({"LOG_LEVEL": "debug"})
        self.assertEqual(env.choice("LOG_LEVEL", ["DEBUG", "INFO"], upper=True), "DEBUG")


class AllowedHostsTests(SimpleTestCase):
    def hosts(self, value, debug=False):
        return Env({"ALLOWED_HOSTS": value}).hosts("ALLOWED_HOSTS", debug=debug)

    def test_names_addresses_and_leading_dot_domains_are_kept(self):
        value = "example.com,.example.org,10.0.0.7,[::1],WWW.Example.com"
        self.assertEqual(self.hosts(value), value.split(","))

    def test_a_lone_wildcard_is_refused_with_debug_off(self):
        with self.assertRaisesMessage(ConfigError, "ALLOWED_HOSTS has '*', which accepts any"):
            self.hosts("example.com,*")

    def test_a_lone_wildcard_is_allowed_with_debug_on(self):
        self.assertEqual(self.hosts("*", debug=True), ["*"])

    def test_a_wildcard_inside_a_name_is_refused_even_with_debug_on(self):
        with self.assertRaisesMessage(ConfigError, "a wildcard Django does not honour"):
            self.hosts("*.example.com", debug=True)

    def test_an_entry_with_a_scheme_is_refused_without_echoing_it(self):
        with self.assertRaises(ConfigError) as caught:
            self.hosts("https://admin:hunter2@example.com")
        self.assertIn("ALLOWED_HOSTS has an entry with a scheme (https://…)", str(caught.exception))
        self.assertNotIn("hunter2", str(caught.exception))

    def test_an_entry_with_credentials_is_refused_without_echoing_them(self):
        with self.assertRaises(ConfigError) as caught:
            self.hosts("admin:hunter2@example.com")
        self.assertIn("a user or password in it (…@example.com)", str(caught.exception))
        self.assertNotIn("hunter2", str(caught.exception))

    def test_an_entry_with_a_path_is_refused(self):
        with self.assertRaisesMessage(ConfigError, "without a path"):
            self.hosts("example.com/shop")

    def test_an_entry_with_a_port_is_refused(self):
        for value in ("example.com:8000", "[::1]:8000"):
            with self.subTest(value), self.assertRaisesMessage(ConfigError, "with a port"):
                self.hosts(value)

    def test_a_bare_ipv6_address_is_refused(self):
        with self.assertRaisesMessage(ConfigError, "an IPv6 address goes in brackets"):
            self.hosts("::1")

    def test_an_entry_that_is_not_a_host_name_is_refused(self):
        for value in ("shop_example.com", "example.com.", "exa mple.com"):
            with self.subTest(value), self.assertRaisesMessage(ConfigError, "not a host name"):
                self.hosts(value)

    def test_no_host_can_be_served_with_an_empty_list_and_debug_off(self):
        self.assertEqual(servable_hosts([], debug=False), [])
        self.assertTrue(servable_hosts([], debug=True))


class ControlCharacterTests(SimpleTestCase):
    def test_a_control_character_is_refused_without_echoing_the_value(self):
        with self.assertRaises(ConfigError) as caught:
            Env({"SECRET_KEY": "hunter2\nhunter2"}).str("SECRET_KEY")
        self.assertEqual(
            str(caught.exception), "SECRET_KEY holds a control character (a newline, tab or NUL)"
        )


class OriginTests(SimpleTestCase):
    def origins(self, value):
        return Env({"CSRF_TRUSTED_ORIGINS": value}).origins("CSRF_TRUSTED_ORIGINS")

    def test_origins_with_a_port_or_a_leading_wildcard_are_kept(self):
        value = "https://example.com,http://localhost:8000,https://*.example.org,https://[::1]"
        self.assertEqual(self.origins(value), value.split(","))

    def test_an_origin_with_a_path_is_refused(self):
        with self.assertRaisesMessage(ConfigError, "which has a path"):
            self.origins("https://example.com/")

    def test_an_origin_with_credentials_is_refused_without_echoing_them(self):
        with self.assertRaises(ConfigError) as caught:
            self.origins("https://admin:hunter2@example.com")
        self.assertIn("a user or password in it", str(caught.exception))
        self.assertNotIn("hunter2", str(caught.exception))

    def test_a_wildcard_that_is_not_a_leading_label_is_refused(self):
        for value in ("https://*", "https://shop*.example.com"):
            with self.subTest(value), self.assertRaisesMessage(ConfigError, "not a host name"):
                self.origins(value)


class EmailAddressTests(SimpleTestCase):
    def address(self, value):
        return Env({"DEFAULT_FROM_EMAIL": value}).email_address("DEFAULT_FROM_EMAIL")

    def test_a_bare_address_or_one_with_a_name_is_kept(self):
        for value in ("webmaster@localhost", "Shop <shop@example.com>", '"Shop, Inc" <a@b.co>'):
            with self.subTest(value):
                self.assertEqual(self.address(value), value)

    def test_text_that_is_not_an_address_is_refused(self):
        for value in ("webmaster", "shop@", "Shop, Inc <a@b.co>", "shop@example"):
            with (
                self.subTest(value),
                self.assertRaisesMessage(ConfigError, "DEFAULT_FROM_EMAIL is not an email address"),
            ):
                self.address(value)

    def test_two_addresses_are_refused(self):
        with self.assertRaisesMessage(ConfigError, "give exactly one address"):
            self.address("a@example.com, b@example.com")


class HeaderNameTests(SimpleTestCase):
    def header(self, value):
        return Env({"H": value}).header_name("H")

    def test_a_header_name_is_kept(self):
        self.assertEqual(self.header("X-Forwarded-Proto"), "X-Forwarded-Proto")

    def test_a_name_with_a_value_an_underscore_or_a_space_is_refused(self):
        for value in ("X-Forwarded-Proto: https", "HTTP_X_FORWARDED_PROTO", "X Proto"):
            with self.subTest(value), self.assertRaisesMessage(ConfigError, "not a header name"):
                self.header(value)


class TextTests(SimpleTestCase):
    def test_text_over_its_length_is_refused(self):
        with self.assertRaisesMessage(ConfigError, "N is longer than 63 characters (64)"):
            Env({"N": "x" * 64}).text("N", max_length=63)

    def test_ascii_only_text_refuses_other_characters(self):
        with self.assertRaisesMessage(ConfigError, "N must be printable ASCII"):
            Env({"N": "café"}).text("N", max_length=63, ascii_only=True)

    def test_a_forbidden_character_is_refused(self):
        with self.assertRaisesMessage(ConfigError, "N must not contain '/'"):
            Env({"N": "prod/eu"}).text("N", max_length=64, forbidden=" /")


class PathAndMailTests(SimpleTestCase):
    def test_a_relative_path_is_refused(self):
        with self.assertRaisesMessage(ConfigError, "STATIC_ROOT is not an absolute path"):
            Env({"STATIC_ROOT": "staticfiles"}).absolute_path("STATIC_ROOT", default="/srv")

    def test_a_file_mail_url_with_a_host_is_refused(self):
        with self.assertRaisesMessage(ConfigError, "after three slashes"):
            Env({"EMAIL_URL": "filemail://tmp/mail"}).email_url("EMAIL_URL", default="")
