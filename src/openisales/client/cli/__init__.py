"""``openisales client``: the OpenAPI from the shell, every request signed with a tenant's AK/SK.

Credentials come from ``--profile PATH`` when given; otherwise from ``OPENISALES_URL`` (default
``http://127.0.0.1:8080``), ``OPENISALES_ACCESS_KEY``, ``OPENISALES_SECRET_KEY``,
``OPENISALES_VDN_ID`` and ``OPENISALES_CA_FILE``, each falling back to the default profile
``~/.config/openisales/profile.json`` that ``openisales client configure`` writes (mode 0600).

Output is a table or a line of text; ``--json`` prints the service's raw envelope instead.

Exit codes:

* 0 success (``import``: the task ended in status 2, or was submitted with ``--no-wait`` or as
  a schedule)
* 1 the service answered with a resultCode other than 0200000, including a refused signature
  (HTTP 401) or another tenant's VDN (403); resultCode and resultDesc are printed on stderr
* 2 usage or configuration error (bad option, no credentials, unreadable profile)
* 3 the import task ended in status 3 (failed); its errMsg is printed on stderr
* 4 the service cannot be reached, or answered an HTTP error without an iSales envelope

This package assembles the commands; each module holds one group of them (``profile``,
``provision``, ``imports``, ``blocklist``, ``results``) or what they share (``options``, ``output``,
``follow``). ``dialer`` holds ``openisales dialer ...`` (``dialer_app``): a simulated dialer and a
result-push receiver, with the same credentials and exit codes.
"""

from __future__ import annotations

import typer

from openisales.client.cli import blocklist, dialer, imports, profile, provision, results

__all__ = ["client_app", "dialer_app"]

client_app = typer.Typer(
    help="Call the service as a tenant, every request signed with its AK/SK.",
    no_args_is_help=True,
    epilog="Exit codes: 0 success, 1 non-success resultCode, 2 usage/configuration, "
    "3 import failed (status 3), 4 service unreachable or HTTP error.",
)
blocklist_app = typer.Typer(help="The tenant's blocklist.", no_args_is_help=True)
client_app.add_typer(blocklist_app, name="blocklist")

client_app.command("configure")(profile.configure)
client_app.command("notify-key")(profile.show_notify_key)
client_app.command("add-server")(provision.add_server)
client_app.command("create-campaign")(provision.create_campaign)
client_app.command("import")(imports.import_file)
client_app.command("tasks")(imports.tasks)
client_app.command("failures")(imports.failures)
client_app.command("mapping")(imports.mapping)
client_app.command("schedules")(imports.schedules)
client_app.command("results")(results.results)
client_app.command("statistics")(results.statistics)

blocklist_app.command("add")(blocklist.add)
blocklist_app.command("delete")(blocklist.delete)
blocklist_app.command("query")(blocklist.query)
blocklist_app.command("import")(blocklist.import_file)

dialer_app = typer.Typer(
    help="A simulated dialer for a campaign, and a receiver for the result push.",
    no_args_is_help=True,
)
dialer_app.command("simulate")(dialer.simulate)
dialer_app.command("receive")(dialer.receive)
