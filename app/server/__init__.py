"""The service's process under uvicorn: how it starts (``server.run``, run as
``python -m server``), what it serves (``server.application``) and what it
does at start and stop (``server.lifespan``)."""
