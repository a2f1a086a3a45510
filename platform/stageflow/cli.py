"""The ``stageflow`` command line: validate, load, export, fmt, migrate, create-admin, serve, demo, worker,
backup, restore."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from sqlalchemy import make_url

from .core import MetadataError
from .data import SchemaChangeRefused
from .data.backup import RestoreRefused, backup, restore
from .data.seed import load_seed
from .demo import ADMIN, ensure_admin, load_sample_apps, settle_events
from .metadata import Canonicalizer, SchemaSet, check_bundle
from .metadata.export import canonical_files, write_bundle
from .runtime import Stageflow, create_stageflow, default_kinds
from .storage.database import open_database, write_transaction
from .storage.platform_schema import PlatformSchemaOutdated, migrate_platform_tables

DB_OPTION = click.option("--db", "db_url", envvar="STAGEFLOW_DATABASE_URL", default=None,
                         help="Database URL (default: a SQLite file stageflow.db here).")


def _fail(lines) -> None:
    for line in lines:
        click.echo(str(line), err=True)
    sys.exit(1)


def _engine(db_url: str | None, migrate: bool | None = None) -> Stageflow:
    """The engine on ``db_url``; an outdated platform schema is a one-line error, not a traceback."""
    try:
        return create_stageflow(db_url, migrate=migrate)
    except PlatformSchemaOutdated as exc:
        _fail([f"refused: {exc}"])


@click.group()
def main() -> None:
    """Stageflow: apps as JSON metadata, interpreted at runtime."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def validate(paths) -> None:
    """Check app bundles; print every problem as path:/pointer: code message."""
    kinds, schemas, failed = default_kinds(), SchemaSet(), False
    for path in paths:
        checked = check_bundle(path, kinds, schemas)
        for problem in checked.problems:
            failed = True
            click.echo(f"{Path(path).as_posix().rstrip('/')}/{problem}")
        if checked.ok:
            app = checked.app
            click.echo(f"ok {path}: app {app.name} {app.version}, {len(app.entities)} entities, "
                       f"{len(app.pipelines)} pipelines, {len(app.roles)} roles")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--seed/--no-seed", default=False, help="Also load the bundle's seed/*.csv demo data.")
@DB_OPTION
def load(path, seed, db_url) -> None:
    """Install or upgrade an app from a bundle folder."""
    engine = _engine(db_url, migrate=True)
    try:
        result = engine.install(path)
        if seed:
            loaded = engine.catalog.get(result.app)
            from .metadata import read_bundle

            counts = load_seed(engine.records, loaded.spec, read_bundle(path, []).seed)
            click.echo(f"seeded {sum(counts.values())} records")
    except MetadataError as exc:
        _fail(f"{Path(path).as_posix().rstrip('/')}/{p}" for p in exc.problems)
    except SchemaChangeRefused as exc:
        _fail([f"refused: {exc}"])
    state = "unchanged" if result.unchanged else f"revision {result.revision}"
    click.echo(f"loaded {result.app}: {state}; tables created {len(result.sync.created_tables)}, "
               f"columns added {len(result.sync.added_columns)}, retired {len(result.sync.retired_columns)}")


@main.command()
@click.argument("app")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False))
@DB_OPTION
def export(app, output, db_url) -> None:
    """Write an installed app's configuration as a canonical bundle folder."""
    engine = _engine(db_url)
    try:
        loaded = engine.catalog.get(app)
    except LookupError as exc:
        _fail([str(exc)])
    written = write_bundle(loaded.bundle, output, Canonicalizer(engine.schemas, engine.kinds), engine.schemas)
    click.echo(f"exported {app} revision {loaded.revision}: {len(written)} files to {output}")


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--check", is_flag=True, help="Only report files that are not canonical.")
def fmt(path, check) -> None:
    """Rewrite a bundle's JSON documents in canonical form."""
    kinds, schemas = default_kinds(), SchemaSet()
    checked = check_bundle(path, kinds, schemas)
    if not checked.ok:
        _fail(f"{path}/{p}" for p in checked.problems)
    changed = []
    for relative, content in canonical_files(checked.bundle, Canonicalizer(schemas, kinds), schemas).items():
        target = Path(path) / relative
        if target.read_bytes() != content:
            changed.append(relative)
            if not check:
                target.write_bytes(content)
    for relative in changed:
        click.echo(("not canonical: " if check else "rewrote ") + relative)
    sys.exit(1 if check and changed else 0)


def _db_hint(db_url: str | None) -> str:
    """`` --db URL`` for a command to copy, the password hidden; empty for the default database."""
    if not db_url:
        return ""
    return f" --db {make_url(db_url).render_as_string(hide_password=True)}"


@main.command()
@DB_OPTION
def migrate(db_url) -> None:
    """Bring the platform's own tables to this release (additive; run once after an upgrade)."""
    db = open_database(db_url)
    try:
        with write_transaction(db) as conn:
            report = migrate_platform_tables(conn)
    finally:
        db.dispose()
    click.echo(f"platform tables up to date: created {len(report.created_tables)}, columns added "
               f"{len(report.added_columns)}, indexes created {len(report.indexes)}, "
               f"retired indexes dropped {len(report.dropped_indexes)}")


@main.command("create-admin")
@click.argument("username", default=ADMIN)
@click.option("--password", envvar="STAGEFLOW_ADMIN_PASSWORD", default=None,
              help="The new password (default: a random one, printed once).")
@click.option("--reset", is_flag=True, help="Also set the password of an existing user and make it an administrator.")
@click.option("--email", default=None)
@DB_OPTION
def create_admin(username, password, reset, email, db_url) -> None:
    """Create an administrator if it does not exist yet; never prompts.

    An existing user keeps its password unless --reset is given, so running this again is safe.
    """
    engine = _engine(db_url)
    try:
        outcome = ensure_admin(engine, password, username, reset=reset, email=email)
    except ValueError as exc:
        _fail([str(exc)])
    finally:
        engine.close()
    reset_hint = f"stageflow create-admin {username} --reset [--password PASSWORD]{_db_hint(db_url)}"
    if outcome.password is None:
        if not outcome.is_admin:
            _fail([f"user {username} exists but is not an active administrator; nothing changed. "
                   f"To make it one with a new password: {reset_hint}"])
        click.echo(f"administrator {username} exists; its password is unchanged. To set a new one: {reset_hint}")
        return
    click.echo(f"{'created' if outcome.created else 'updated'} administrator {username}")
    click.echo(f"login: {username}")
    click.echo(f"password: {outcome.password if password is None else '(the one given)'}")


def _serve(engine, host: str, port: int) -> None:
    from .web import create_app

    # The app first: Flask-AppBuilder creates its tables on start, which on SQLite must not race
    # the automation worker's first writes ("database is locked").
    app = create_app(engine)
    engine.start_automation()
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@DB_OPTION
def serve(host, port, db_url) -> None:
    """Serve the platform over HTTP."""
    _serve(_engine(db_url), host, port)


@main.command()
@click.option("--db", "db_url", default=None, help="Database URL (default: SQLite file stageflow-demo.db here).")
def demo(db_url) -> None:
    """Load the three sample apps with their demo data, then return; running it again adds nothing.

    ``make demo`` follows it with ``create-admin`` and ``serve`` on the same database.
    """
    db_url = db_url or f"sqlite:///{Path('stageflow-demo.db').resolve()}"
    engine = _engine(db_url, migrate=True)
    try:
        for loaded in load_sample_apps(engine):
            click.echo(f"app {loaded.app}: revision {loaded.revision}, {loaded.records_added} demo records added")
        click.echo(f"automation: {settle_events(engine)} queued events settled")
    finally:
        engine.close()
    click.echo(f"database: {db_url}")
    click.echo(f"next: stageflow create-admin admin{_db_hint(db_url)}; stageflow serve{_db_hint(db_url)}")


@main.command()
@click.option("--in-process", is_flag=True, help="Run the automation loop here instead of a Celery worker.")
@click.option("--concurrency", default=1, type=int, help="Celery worker processes.")
@DB_OPTION
def worker(in_process, concurrency, db_url) -> None:
    """Run the automation worker: Celery on STAGEFLOW_BROKER_URL (Redis), with the 1-second beat."""
    if db_url:
        os.environ["STAGEFLOW_DATABASE_URL"] = db_url
    if in_process:
        import time

        from .automation.worker import Automation

        automation = Automation(_engine(db_url))
        click.echo("automation running in this process; Ctrl+C stops it")
        while True:
            automation.sf.catalog.refresh()
            if not automation.step():
                time.sleep(1)
    from .celery_worker import app as celery_app

    celery_app.worker_main(["worker", "--beat", "--loglevel=INFO", f"--concurrency={concurrency}",
                            "--pool=prefork", "--without-gossip", "--without-mingle"])


@main.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@DB_OPTION
def backup_command(output, db_url) -> None:
    """Write data, files and metadata into one archive."""
    engine = _engine(db_url)
    with engine.db.connect() as conn:
        counts = backup(conn, engine.catalog, engine.files, output)
    click.echo(f"backup {output}: {len(counts)} tables, {sum(counts.values())} rows")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@DB_OPTION
def restore_command(archive, db_url) -> None:
    """Restore an archive into an empty database."""
    engine = _engine(db_url, migrate=True)
    try:
        counts = restore(engine.db, engine.catalog, engine.kinds, engine.files, archive)
    except RestoreRefused as exc:
        _fail([f"refused: {exc}"])
    click.echo(f"restored {sum(counts.values())} rows into {len(counts)} tables")


if __name__ == "__main__":
    main()
