"""The fast path: Django's ASGI request path without the thread hops it does
not need. ``config.asgi`` serves it unless ``ASGI_HANDLER=django``, which
serves Django's own ``get_asgi_application()`` instead, with the same
behaviour (the tests in ``fastpath/tests`` run against both).

Under ASGI, Django runs every ``MiddlewareMixin`` hook in a worker thread
(``sync_to_async``): two hops per middleware, sixteen per request with the
default stack, each a trip through the GIL and asgiref's bookkeeping. Most of
those hooks only read headers and set attributes.

- ``fastpath.middleware``: for each Django (and whitenoise) middleware named
  in ``settings.MIDDLEWARE``, a subclass with an async path that calls those
  hooks on the event loop, and goes to a thread only where I/O can happen
  (saving a modified session, checking CSRF on an unsafe method, storing
  messages that were used or added).
- ``fastpath.handler``: Django's ``ASGIHandler``, loading those subclasses in
  place of the classes ``settings.MIDDLEWARE`` names (which stay Django's own,
  so that ``check --deploy`` recognises them), and lending each request a
  one-thread executor from a pool instead of starting a thread of its own:
  still one request per thread at a time, so two requests never share a
  thread or a database connection at once.
- ``fastpath.versions``: the Django, asgiref and whitenoise versions whose
  internals this was read against. On any other version ``manage.py check``
  (and ``migrate``) warns, naming the switch: an upgrade is never blocked,
  and ``ASGI_HANDLER=django`` serves while someone reads the new internals.

Everything but the server (the test client, WSGI, management commands) gets
Django's own classes, unchanged.
"""
