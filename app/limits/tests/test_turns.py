"""Requests take turns (limits.turns): a few run at once per process, the
next wait in order, and those that cannot be answered in time are refused
at once with 503; the probes never wait."""

import asyncio
import contextlib

from django.test import SimpleTestCase, override_settings
from prometheus_client import REGISTRY

from config.tests.asgi import run
from limits import admission, turns

ONE_TURN = {"WEB_ACTIVE_REQUESTS": 1, "WEB_MAX_QUEUE_WAIT": 0.1}


class Application:
    """An ASGI app whose requests hold their turn until released by path
    (``/hold/<name>``), or for a few milliseconds (``/quick``), or answer and
    then work on until released (``/after/<name>``); it records the order in
    which they start."""

    def __init__(self):
        self.started = []
        self.running = 0
        self.most_running = 0
        self.release = {}

    async def __call__(self, scope, receive, send):
        path = scope["path"]
        # Django reads the whole body before anything else runs.
        while (message := await receive())["type"] == "http.request":
            if not message.get("more_body"):
                break
        else:
            return  # the client went away: nothing to answer
        self.started.append(path)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if path.startswith("/hold/"):
                await self.release.setdefault(path, asyncio.Event()).wait()
            elif path == "/quick":
                await asyncio.sleep(0.02)
            elif path.startswith("/hashing"):
                async with admission.password_hashing.slot():
                    if path.startswith("/hashing/"):  # the hash takes until released
                        await self.release.setdefault(path, asyncio.Event()).wait()
        finally:
            self.running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        if path.startswith("/after/"):  # work after the answer (request_finished)
            await self.release.setdefault(path, asyncio.Event()).wait()

    def let_go(self, path):
        self.release.setdefault(path, asyncio.Event()).set()


async def request(application, path, body=(b"",), gone=None):
    """(status, headers, body) of one request, whose body comes in ``body``'s
    parts, each once the one before was read; the client hangs up once the
    event ``gone`` is set (or never)."""
    sent = []
    parts = list(body)

    async def receive():
        if parts:
            part = parts.pop(0)
            if callable(part):
                part = await part()
            return {"type": "http.request", "body": part, "more_body": bool(parts)}
        await (gone or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "GET", "headers": []}
    await application(scope, receive, send)
    if not sent:
        return None, {}, b""  # nothing answered
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


def served_app():
    """An ``Application``, and it taking turns."""
    app = Application()
    return app, turns.Turns(app)


@contextlib.asynccontextmanager
async def held(app, served, path="/hold/a"):
    """The block runs while ``path`` holds a turn (the task yielded); it is
    let go and answered after the block."""
    holder = asyncio.create_task(request(served, path))
    await settle()
    try:
        yield holder
    finally:
        app.let_go(path)
        await holder


async def learn_pace(served):
    """Quick requests, one after another: the process's pace is then 20 ms a turn."""
    for _ in range(turns.PACE_AFTER_TURNS):
        await request(served, "/quick")


@override_settings(**ONE_TURN)
class TurnTests(SimpleTestCase):
    def test_requests_beyond_the_active_ones_wait_and_start_in_order(self):
        @override_settings(WEB_ACTIVE_REQUESTS=2)
        async def scenario():
            app, served = served_app()
            paths = [f"/hold/{n}" for n in range(5)]
            tasks = []
            for path in paths:
                tasks.append(asyncio.create_task(request(served, path)))
                await settle()
            self.assertEqual(app.started, paths[:2])
            for path in paths:
                app.let_go(path)
                await settle()
            answers = await asyncio.gather(*tasks)
            return app, answers, paths

        app, answers, paths = run(scenario)
        self.assertEqual([status for status, _, _ in answers], [200] * 5)
        self.assertEqual(app.started, paths)
        self.assertEqual(app.most_running, 2)

    @override_settings(WEB_MAX_QUEUE_WAIT=0.07)
    def test_a_request_that_would_wait_too_long_is_refused_at_once_with_retry_after(self):
        async def scenario():
            app, served = served_app()
            await learn_pace(served)
            async with held(app, served) as holder:
                # 0.07 s at 20 ms a turn: three can wait; the next cannot.
                waiting = [asyncio.create_task(request(served, "/quick")) for _ in range(3)]
                await settle()
                refused = await request(served, "/quick")
                still_holding = not holder.done()
            await asyncio.gather(*waiting, return_exceptions=True)
            return refused, still_holding

        before = self.refusals()
        with self.assertLogs("limits.turns", "WARNING"):
            (status, headers, body), still_holding = run(scenario)
        self.assertTrue(still_holding, "the refusal waited for a turn")
        self.assertEqual(status, 503)
        self.assertEqual(headers[b"retry-after"], b"1")
        self.assertEqual(headers[b"cache-control"], b"no-store")
        self.assertIn(b"busy", body)
        self.assertGreaterEqual(self.refusals(), before + 1)

    def test_a_new_processs_slow_first_turn_does_not_make_it_refuse_at_light_load(self):
        async def scenario():
            app, served = served_app()
            async with held(app, served, "/hold/cold"):  # imports, templates, connections
                await asyncio.sleep(0.3)
            for _ in range(turns.PACE_AFTER_TURNS - 1):
                await request(served, "/quick")
            async with held(app, served):
                # Three wait: 60 ms at 20 ms a turn, within the 0.1 s.
                answers = [asyncio.create_task(request(served, "/quick")) for _ in range(3)]
                await settle()
            return await asyncio.gather(*answers)

        self.assertEqual([status for status, _, _ in run(scenario)], [200] * 3)

    def test_a_request_still_waiting_after_twice_the_wait_is_refused(self):
        async def scenario():
            app, served = served_app()
            async with held(app, served) as holder:
                # No pace known yet: it waits, and is refused at twice 0.1 s.
                answer = await request(served, "/quick")
                still_holding = not holder.done()
            return answer, still_holding

        with self.assertLogs("limits.turns", "WARNING"):
            (status, _, _), still_holding = run(scenario)
        self.assertEqual(status, 503)
        self.assertTrue(still_holding)

    def test_a_request_whose_body_is_still_coming_holds_no_turn(self):
        async def scenario():
            _, served = served_app()
            rest_of_the_body = asyncio.Event()

            async def later():
                await rest_of_the_body.wait()
                return b"rest"

            slow = asyncio.create_task(request(served, "/quick", body=(b"part", later)))
            await settle()
            other = await request(served, "/quick")  # the only turn is free
            rest_of_the_body.set()
            return other, await slow

        (other, _, _), (slow, _, _) = run(scenario)
        self.assertEqual((other, slow), (200, 200))

    def test_the_turn_is_given_back_with_the_answer_not_after_the_work_that_follows(self):
        async def scenario():
            app, served = served_app()
            answered = asyncio.create_task(request(served, "/after/a"))
            await settle()
            other = await request(served, "/quick")  # the only turn is free
            still_working = not answered.done()
            app.let_go("/after/a")
            await answered
            return other, still_working, served.queue().active

        (status, _, _), still_working, active = run(scenario)
        self.assertEqual(status, 200)
        self.assertTrue(still_working)
        self.assertEqual(active, 0)

    def test_a_request_whose_client_goes_while_it_waits_is_never_started(self):
        async def scenario():
            app, served = served_app()
            async with held(app, served):
                gone = asyncio.Event()
                waiting = asyncio.create_task(request(served, "/hold/b", gone=gone))
                await settle()
                gone.set()
                answer = await waiting
                queue = served.queue()
                still_queued = len(queue.waiters)
            return app.started, answer, still_queued, queue.active

        started, answer, still_queued, active = run(scenario)
        self.assertEqual(started, ["/hold/a"])
        self.assertEqual(answer, (None, {}, b""))
        self.assertEqual((still_queued, active), (0, 0))

    def test_the_probes_never_wait(self):
        async def scenario():
            app, served = served_app()
            async with held(app, served):
                return [await request(served, path) for path in ("/healthz", "/readyz")]

        self.assertEqual([status for status, _, _ in run(scenario)], [200, 200])

    def test_a_waiter_that_goes_away_leaves_no_turn_taken(self):
        async def scenario():
            app, served = served_app()
            async with held(app, served):
                gone = asyncio.create_task(request(served, "/hold/b"))
                await settle()
                gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)
            after = await request(served, "/quick")
            return after, served.queue().active

        (status, _, _), active = run(scenario)
        self.assertEqual(status, 200)
        self.assertEqual(active, 0)

    def test_a_request_waiting_for_a_hashing_slot_gives_its_turn_to_others(self):
        @override_settings(PASSWORD_HASHING_CONCURRENCY=1, PASSWORD_HASHING_WAIT=5)
        async def scenario():
            _, served = served_app()
            async with admission.password_hashing.slot():
                hashing = asyncio.create_task(request(served, "/hashing"))
                await settle()
                other = await request(served, "/quick")  # while the hasher waits
                still_waiting = not hashing.done()
            return other, still_waiting, await hashing

        (status, _, _), still_waiting, (hashing_status, _, _) = run(scenario)
        self.assertEqual(status, 200)
        self.assertTrue(still_waiting)
        self.assertEqual(hashing_status, 200)

    def test_a_request_that_finds_a_hashing_slot_free_keeps_its_turn(self):
        async def scenario():
            app, served = served_app()
            holder = asyncio.create_task(request(served, "/hold/a"))
            await settle()
            hashing = asyncio.create_task(request(served, "/hashing/b"))
            await settle()
            after = asyncio.create_task(request(served, "/quick"))
            await settle()
            app.let_go("/hold/a")  # the turn passes to the hashing request
            await settle()
            started_while_hashing = list(app.started)
            app.let_go("/hashing/b")
            await asyncio.gather(holder, hashing, after)
            return started_while_hashing

        self.assertEqual(run(scenario), ["/hold/a", "/hashing/b"])

    def test_zero_turns_off_the_turns(self):
        @override_settings(WEB_ACTIVE_REQUESTS=0)
        async def scenario():
            app, served = served_app()
            tasks = [asyncio.create_task(request(served, f"/hold/{n}")) for n in range(4)]
            await settle()
            for n in range(4):
                app.let_go(f"/hold/{n}")
            await asyncio.gather(*tasks)
            return app.most_running

        self.assertEqual(run(scenario), 4)

    @override_settings(WEB_MAX_QUEUE_WAIT=0.07)
    def test_refusals_are_logged_once_a_second_at_most_and_all_counted(self):
        async def scenario():
            app, served = served_app()
            await learn_pace(served)
            async with held(app, served):
                waiting = [asyncio.create_task(request(served, "/quick")) for _ in range(3)]
                await settle()
                answers = await asyncio.gather(*[request(served, "/quick") for _ in range(5)])
            await asyncio.gather(*waiting)
            await asyncio.sleep(turns.REFUSAL_LOG_EVERY)  # the second line is due
            return answers

        before = self.refusals()
        with self.assertLogs("limits.turns", "WARNING") as logged:
            answers = run(scenario)
        self.assertEqual([status for status, _, _ in answers], [503] * 5)
        self.assertEqual([record.refused for record in logged.records], [1, 4])
        self.assertEqual(self.refusals(), before + 5)

    @staticmethod
    def refusals():
        labels = {"reason": "no_turn"}
        return REGISTRY.get_sample_value("http_refused_for_overload_total", labels) or 0


class RefusalBackoffTests(SimpleTestCase):
    """The pause before each refusal of one connection, at the loop's times."""

    def test_a_first_refusal_waits_the_short_pause(self):
        self.assertEqual(turns.RefusalBackoff().pause(now=100.0), turns.REFUSAL_PAUSE_SECONDS)

    def test_each_refusal_asked_again_at_once_waits_twice_as_long_up_to_retry_after(self):
        backoff = turns.RefusalBackoff()
        now, pauses = 100.0, []
        for _ in range(9):
            pauses.append(backoff.pause(now))
            now += pauses[-1]
            backoff.sent(now)
        short = turns.REFUSAL_PAUSE_SECONDS
        self.assertEqual(pauses[:4], [short, 2 * short, 4 * short, 8 * short])
        self.assertEqual(pauses[-2:], [turns.RETRY_AFTER_SECONDS] * 2)
        self.assertEqual(pauses, sorted(pauses))

    def test_a_client_that_waits_as_retry_after_asks_is_refused_at_once_again(self):
        backoff = turns.RefusalBackoff()
        for now in (100.0, 100.1, 100.2):
            backoff.pause(now)
            backoff.sent(now)
        later = 100.2 + turns.RETRY_AFTER_SECONDS
        self.assertEqual(backoff.pause(later), turns.REFUSAL_PAUSE_SECONDS)

    def test_a_request_served_in_between_starts_the_pauses_over(self):
        backoff = turns.RefusalBackoff()
        for now in (100.0, 100.1, 100.2):
            backoff.pause(now)
            backoff.sent(now)
        backoff.served()
        self.assertEqual(backoff.pause(100.3), turns.REFUSAL_PAUSE_SECONDS)
