"""``python -m server``: see ``server.run``."""

from server.run import main

main()
