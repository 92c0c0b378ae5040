"""An event that a signal handler may set: how a long-running command
(``worker``, ``maintain --every``) hears SIGTERM.

Two traps lie between a signal and a thread that sleeps until it:

- A Python signal handler runs in the main thread, between two of its
  bytecodes, so possibly while that thread is inside ``threading.Event.wait``
  holding the event's lock: a handler that calls ``Event.set()`` then waits
  for that lock forever. ``SignalSafeEvent.set`` takes no lock: it sets a
  flag and writes a byte to a pipe, and ``wait`` sleeps until the pipe can be
  read (or the timeout).
- The C-level handler only notes the signal; the Python one runs at the main
  thread's next bytecode. A signal that arrives just before the main thread
  enters its sleeping system call, or that the kernel hands to another
  thread, interrupts nothing, and the handler would wait for the sleep to
  end (an hour, for ``maintain --every 3600``). ``set_by`` makes the event's
  second pipe the process's wakeup fd (``signal.set_wakeup_fd``): the C
  handler writes to it, the main thread's ``wait`` returns from its sleep,
  and the Python handler runs before ``wait`` looks at the flag again.
"""

import contextlib
import os
import select
import signal
import threading
import time
import weakref


class SignalSafeEvent:
    """``threading.Event``'s ``set``, ``is_set`` and ``wait``, without a
    lock; it is never cleared."""

    def __init__(self):
        # Holds a byte once set, never read: every wait from then on returns.
        self._read, self._write = os.pipe()
        # The process's signal wakeup fd once set_by was called; drained.
        self._signals_read, self._signals_write = os.pipe()
        for fd in (self._write, self._signals_read, self._signals_write):
            os.set_blocking(fd, False)
        self._set = False
        for fd in (self._read, self._write, self._signals_read, self._signals_write):
            weakref.finalize(self, os.close, fd)

    def set_by(self, signums, handler=None):
        """From the main thread: each of ``signums`` sets the event (after
        calling ``handler(signum, frame)``, if given, which must not take a
        lock or log). Returns the wakeup fd this replaced."""

        def on_signal(signum, frame):
            if handler is not None:
                handler(signum, frame)
            self.set()

        previous = signal.set_wakeup_fd(self._signals_write, warn_on_full_buffer=False)
        for signum in signums:
            signal.signal(signum, on_signal)
        return previous

    def set(self):
        self._set = True
        with contextlib.suppress(BlockingIOError):  # the pipe is full: woken already
            os.write(self._write, b"\0")

    def is_set(self):
        return self._set

    def wait(self, timeout=None):
        """Until set, or for ``timeout`` seconds; whether it is set. Any
        number of threads may wait at once."""
        deadline = None if timeout is None else time.monotonic() + timeout
        poll = select.poll()  # one per call: a poll object is not shared
        poll.register(self._read, select.POLLIN)
        if threading.current_thread() is threading.main_thread():
            poll.register(self._signals_read, select.POLLIN)  # signals run here only
        while not self._set:  # the loop's jump back runs a pending signal handler
            if deadline is None:
                poll.poll()
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                poll.poll(remaining * 1000)
            with contextlib.suppress(BlockingIOError):
                os.read(self._signals_read, 4096)
        return self._set
