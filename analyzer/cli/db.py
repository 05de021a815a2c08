"""``leakmap db``: the schema revision of a store, and upgrading one written by an older leakmap."""

from __future__ import annotations

import typer

from analyzer.cli import app
from analyzer.cli.common import DB_DEFAULT, DbOption

db_app = typer.Typer(
    help="The store's schema: status and upgrade.\n\nExample: leakmap db status --db lab.db",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")


@db_app.command("status")
def status(db: DbOption = DB_DEFAULT) -> None:
    """Print the database's schema revision and the one this leakmap needs.

    Example: leakmap db status --db postgresql+psycopg://leakmap@lab-server/leakmap
    """
    from analyzer.store import Store
    from analyzer.store.schema import current_revision, head_revision

    with Store(db, create=False, check_schema=False) as store:
        with store.engine.connect() as conn:
            current = current_revision(conn)
        typer.echo(f"database: {store.display_url}")
    head = head_revision()
    typer.echo(f"schema revision: {current or 'none (empty database)'}; leakmap needs: {head}")
    if current != head:
        typer.echo("run `leakmap db upgrade` to bring it up to date")


@db_app.command("upgrade")
def upgrade_command(db: DbOption = DB_DEFAULT) -> None:
    """Upgrade the database's schema to the revision this leakmap needs (back it up first).

    Example: leakmap db upgrade --db leakmap.db
    """
    from analyzer.store import Store
    from analyzer.store.schema import upgrade

    with Store(db, create=False, check_schema=False) as store:  # a typo creates no database
        before, after = upgrade(store.engine)
        where = store.display_url
    if before == after:
        typer.echo(f"{where} is up to date (revision {after})")
    else:
        typer.echo(f"{where} upgraded from revision {before or 'none'} to {after}")
