from django.test import SimpleTestCase

from accounts.identity import canonical_email, canonical_identifier, canonical_username, fold
from accounts.tests.spellings import (
    EMAIL,
    EMAIL_SPELLINGS,
    OTHER_EMAILS,
    OTHER_USERNAMES,
    USERNAME,
    USERNAME_SPELLINGS,
)


class FoldTests(SimpleTestCase):
    def test_case_is_folded_not_just_lowered(self):
        self.assertEqual(fold("Stra\u00dfe"), "strasse")
        self.assertEqual(fold("\u017fam"), "sam")  # LATIN SMALL LETTER LONG S

    def test_compatibility_characters_become_plain(self):
        self.assertEqual(fold("\uff21\uff24\uff21"), "ada")  # fullwidth
        self.assertEqual(fold("\ufb01sh"), "fish")  # the fi ligature
        self.assertEqual(fold("\u212aate"), "kate")  # KELVIN SIGN

    def test_combining_accents_compose(self):
        self.assertEqual(fold("bu\u0308cher"), fold("b\u00fccher"))
        self.assertEqual(fold("bu\u0308cher"), "b\u00fccher")

    def test_folding_twice_changes_nothing(self):
        for text in [EMAIL, USERNAME, *EMAIL_SPELLINGS, *USERNAME_SPELLINGS, "\u1e9e\u0345\u03a3"]:
            with self.subTest(text=text):
                self.assertEqual(fold(fold(text)), fold(text))


class CanonicalUsernameTests(SimpleTestCase):
    def test_every_spelling_has_one_canonical_form(self):
        for spelling in USERNAME_SPELLINGS:
            with self.subTest(spelling=spelling):
                self.assertEqual(canonical_username(spelling), canonical_username(USERNAME))

    def test_the_canonical_form_of_strasse(self):
        self.assertEqual(canonical_username(USERNAME), "strasse")

    def test_surrounding_spaces_are_ignored(self):
        self.assertEqual(canonical_username("  Ada \n"), "ada")

    def test_names_that_only_look_alike_stay_apart(self):
        for other in OTHER_USERNAMES:
            with self.subTest(other=other):
                self.assertNotEqual(canonical_username(other), canonical_username(USERNAME))

    def test_a_fullwidth_at_sign_becomes_an_at_sign(self):
        self.assertIn("@", canonical_username("bob\uff20example.com"))


class CanonicalEmailTests(SimpleTestCase):
    def test_every_spelling_has_one_canonical_form(self):
        for spelling in EMAIL_SPELLINGS:
            with self.subTest(spelling=spelling):
                self.assertEqual(canonical_email(spelling), canonical_email(EMAIL))

    def test_the_domain_is_in_its_punycode_form(self):
        self.assertEqual(canonical_email(EMAIL), "kate@xn--bcher-kva.example")

    def test_sharp_s_and_ligatures_in_the_domain_fold(self):
        self.assertEqual(canonical_email("kate@stra\u00dfe.example"), "kate@strasse.example")
        self.assertEqual(canonical_email("kate@\ufb01sh.example"), "kate@fish.example")

    def test_the_local_part_is_folded_too(self):
        self.assertEqual(canonical_email("Ada.Lovelace@Example.COM"), "ada.lovelace@example.com")

    def test_addresses_that_only_look_alike_stay_apart(self):
        for other in OTHER_EMAILS:
            with self.subTest(other=other):
                self.assertNotEqual(canonical_email(other), canonical_email(EMAIL))

    def test_a_domain_that_idna_cannot_encode_keeps_its_folded_form(self):
        overlong = "\u00fc" * 63 + ".example"
        self.assertEqual(canonical_email(f"Ada@{overlong}"), f"ada@{overlong}")
        self.assertEqual(canonical_email("Ada@a..example"), "ada@a..example")

    def test_only_the_last_at_sign_starts_the_domain(self):
        self.assertEqual(
            canonical_email('"a@b"@B\u00fccher.example'), '"a@b"@xn--bcher-kva.example'
        )

    def test_text_without_an_at_sign_is_only_folded(self):
        self.assertEqual(canonical_email("Stra\u00dfe"), "strasse")

    def test_the_canonical_form_is_its_own_canonical_form(self):
        canonical = canonical_email(EMAIL)
        self.assertEqual(canonical_email(canonical), canonical)


class CanonicalIdentifierTests(SimpleTestCase):
    def test_an_identifier_with_an_at_sign_is_an_email(self):
        self.assertEqual(canonical_identifier(EMAIL_SPELLINGS[0]), canonical_email(EMAIL))

    def test_an_identifier_without_one_is_a_username(self):
        self.assertEqual(canonical_identifier("STRASSE"), canonical_username(USERNAME))

    def test_a_fullwidth_at_sign_makes_an_email(self):
        self.assertEqual(
            canonical_identifier("kate\uff20b\u00fccher.example"), canonical_email(EMAIL)
        )

    def test_any_value_is_accepted(self):
        self.assertEqual(canonical_identifier("192.0.2.1"), "192.0.2.1")
        self.assertEqual(canonical_identifier("2001:DB8::1"), "2001:db8::1")
        self.assertEqual(canonical_identifier(42), "42")
