"""worker.stopping: an event that a signal handler may set, heard by every
thread that waits for it."""

import signal
import threading
import time

from django.test import SimpleTestCase

from worker.stopping import SignalSafeEvent


class SignalSafeEventTests(SimpleTestCase):
    def test_a_wait_times_out_unset(self):
        event = SignalSafeEvent()
        self.assertFalse(event.wait(0.01))
        self.assertFalse(event.is_set())

    def test_every_waiting_thread_wakes_when_it_is_set_and_later_waits_return_at_once(self):
        event = SignalSafeEvent()
        woken = []
        threads = [threading.Thread(target=lambda: woken.append(event.wait(30))) for _ in range(3)]
        for thread in threads:
            thread.start()
        event.set()
        for thread in threads:
            thread.join(timeout=10)
        self.assertEqual(woken, [True, True, True])
        self.assertTrue(event.wait(30))
        event.set()  # again: still set, nothing blocks
        self.assertTrue(event.is_set())

    def set_by_alarm(self, event, handler=None):
        previous_fd = event.set_by((signal.SIGALRM,), handler)
        self.addCleanup(signal.set_wakeup_fd, previous_fd)
        self.addCleanup(signal.signal, signal.SIGALRM, signal.SIG_DFL)
        self.addCleanup(signal.setitimer, signal.ITIMER_REAL, 0)

    def test_a_signal_it_is_set_by_ends_the_main_threads_wait(self):
        event = SignalSafeEvent()
        self.set_by_alarm(event)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        started = time.monotonic()
        self.assertTrue(event.wait(30))
        self.assertLess(time.monotonic() - started, 10)  # woken by the signal, not the timeout

    def test_its_handler_runs_first(self):
        event = SignalSafeEvent()
        seen = []
        self.set_by_alarm(event, handler=lambda signum, frame: seen.append(event.is_set()))
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        self.assertTrue(event.wait(30))
        self.assertEqual(seen, [False])

    def test_a_signal_that_interrupts_no_system_call_still_ends_the_wait(self):
        # Received by another thread, the signal leaves the main thread's
        # sleep uninterrupted; only its C-level handler runs at once. (The
        # same holds for a signal landing just before the sleep began.)
        event = SignalSafeEvent()
        self.set_by_alarm(event)
        other = threading.Thread(
            target=lambda: (
                time.sleep(0.05),
                signal.pthread_kill(threading.get_ident(), signal.SIGALRM),
            )
        )
        other.start()
        self.addCleanup(other.join)
        self.assertTrue(event.wait(10), "the handler waited for the sleep to end")

    def test_signals_at_any_point_of_many_waits_never_block_one_past_its_timeout(self):
        # Each wait is on a fresh event that the signal sets, so the signals
        # land during real sleeps and in the instants before and after them.
        # With threading.Event, one landing while the thread holds the
        # event's lock would wait for that lock forever.
        fired = []
        events = [SignalSafeEvent()]
        self.set_by_alarm(events[0], handler=lambda *_: fired.append(1))
        signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
        for _ in range(300):
            events.append(SignalSafeEvent())
            events[-1].set_by((signal.SIGALRM,), handler=lambda *_: fired.append(1))
            events[-1].wait(0.002)
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.assertGreater(len(fired), 10)
        self.assertGreater(sum(event.is_set() for event in events), 10)
