"""Requests that hash a password take turns (limits.admission); the others never wait."""

import asyncio
import gc

from django.test import SimpleTestCase, TestCase, override_settings
from prometheus_client import REGISTRY

from accounts.models import User
from accounts.tests.factories import make_user, signup_form
from errors import views
from limits import admission

ONE_SLOT = {"PASSWORD_HASHING_CONCURRENCY": 1, "PASSWORD_HASHING_WAIT": 0.05}


@override_settings(**ONE_SLOT)
class PasswordHashingGateTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = make_user()

    async def test_a_hashing_request_that_finds_no_slot_in_time_gets_503_with_retry_after(self):
        refused = {"reason": "password_hashing"}
        before = REGISTRY.get_sample_value("http_refused_for_overload_total", refused) or 0
        async with admission.password_hashing.slot():
            response = await self.async_client.post("/accounts/signup/", signup_form())
        self.assertEqual(response.status_code, 503)
        after = REGISTRY.get_sample_value("http_refused_for_overload_total", refused)
        self.assertEqual(after, before + 1)
        self.assertEqual(response["Retry-After"], str(views.RETRY_AFTER))
        self.assertIn(b"We are busy right now", response.content)
        self.assertFalse(await User.objects.filter(username="grace").aexists())

    async def test_every_password_hashing_view_takes_a_turn(self):
        await self.async_client.aforce_login(self.user)
        paths = [
            "/accounts/signup/",
            "/accounts/login/",
            "/accounts/password_change/",
            "/accounts/reset/MQ/set-password/",
            "/accounts/reauthenticate/",
            "/accounts/email/change/",
            "/accounts/two-factor/off/",
        ]
        async with admission.password_hashing.slot():
            for path in paths:
                with self.subTest(path=path):
                    response = await self.async_client.post(path, {"password": "x"})
                    self.assertEqual(response.status_code, 503)

    async def test_a_cheap_page_is_served_while_every_slot_is_held(self):
        await self.async_client.aforce_login(self.user)
        async with admission.password_hashing.slot():
            response = await self.async_client.get("/accounts/profile/")
        self.assertEqual(response.status_code, 200)

    async def test_the_form_pages_never_wait_for_a_turn(self):
        async with admission.password_hashing.slot():
            for path in ("/accounts/signup/", "/accounts/login/"):
                with self.subTest(path=path):
                    response = await self.async_client.get(path)
                    self.assertEqual(response.status_code, 200)

    @override_settings(PASSWORD_HASHING_WAIT=10)
    async def test_a_request_gets_the_slot_freed_within_its_wait(self):
        async def hold_the_slot_briefly():
            async with admission.password_hashing.slot():
                await asyncio.sleep(0.05)

        holder = asyncio.create_task(hold_the_slot_briefly())
        await asyncio.sleep(0)  # the holder takes the only slot
        response = await self.async_client.post("/accounts/signup/", signup_form())
        await holder
        self.assertRedirects(response, "/accounts/profile/", fetch_redirect_response=False)

    @override_settings(PASSWORD_HASHING_CONCURRENCY=0)
    async def test_with_the_bound_off_a_hashing_request_never_waits(self):
        response = await self.async_client.post("/accounts/signup/", signup_form())
        self.assertRedirects(response, "/accounts/profile/", fetch_redirect_response=False)
        self.assertNotIn(asyncio.get_running_loop(), admission.password_hashing._semaphores)

    def test_the_sync_test_client_goes_through_the_gate(self):
        response = self.client.post("/accounts/signup/", signup_form())
        self.assertRedirects(response, "/accounts/profile/", fetch_redirect_response=False)


@override_settings(**ONE_SLOT)
class GateTests(SimpleTestCase):
    def test_each_event_loop_has_its_own_semaphore(self):
        gate = admission.Gate("PASSWORD_HASHING_CONCURRENCY", "PASSWORD_HASHING_WAIT")

        async def semaphore():
            return gate.semaphore()

        first, second = asyncio.run(semaphore()), asyncio.run(semaphore())
        self.assertIsNot(first, second)

    def test_a_loop_that_is_gone_is_forgotten(self):
        gate = admission.Gate("PASSWORD_HASHING_CONCURRENCY", "PASSWORD_HASHING_WAIT")

        async def semaphore():
            return gate.semaphore()

        asyncio.run(semaphore())
        gc.collect()
        self.assertEqual(len(gate._semaphores), 0)

    def test_no_more_holders_than_slots_at_once(self):
        gate = admission.Gate("PASSWORD_HASHING_CONCURRENCY", "PASSWORD_HASHING_WAIT")
        holding = []
        peak = []

        async def hold():
            async with gate.slot():
                holding.append(1)
                peak.append(len(holding))
                await asyncio.sleep(0.01)
                holding.pop()

        async def many():
            return await asyncio.gather(*(hold() for _ in range(4)), return_exceptions=True)

        with override_settings(PASSWORD_HASHING_CONCURRENCY=2, PASSWORD_HASHING_WAIT=5):
            outcomes = asyncio.run(many())
        self.assertEqual(outcomes, [None] * 4)
        self.assertEqual(max(peak), 2)
