"""The start page: the logged-in user's apps and entities, with the records each may see.

Served by Flask-AppBuilder's index view slot (so FAB's login redirects here), rendered inside
FAB's layout with its navbar, user menu and logout. Every label comes from metadata and is
escaped by Jinja's autoescape.
"""
from __future__ import annotations

from flask import current_app, redirect, render_template_string, request, url_for
from flask_appbuilder import IndexView, expose

from .extension import current_actor_or_none, stageflow_engine
from .menu import current_menu

INDEX = """{% extends base_template %}
{% block content %}
<div class="col-md-12">
<h1>Stageflow</h1>
<p>{{ installed }} app(s) installed, {{ apps|length }} open to you. Health: <a href="{{ url_for('stageflow_health') }}">/health</a>
&middot; API: <a href="{{ url_for('stageflow_api.docs') }}">/api/v1/docs</a></p>
{% for app in apps %}
<h2>{{ app.label }} <small>({{ app.name }} {{ app.version }}, revision {{ app.revision }})</small></h2>
<table class="table table-condensed"><tr><th>Entity</th><th>Name</th><th>Records</th></tr>
{% for e in app.entities %}<tr><td><a href="{{ e.url }}">{{ e.label }}</a></td><td><code>{{ e.name }}</code></td><td>{{ counts[app.name ~ '.' ~ e.name] }}</td></tr>
{% endfor %}</table>
{% endfor %}
</div>
{% endblock %}"""


class StageflowIndexView(IndexView):
    """``/``: requires a login; lists the apps and entities of the current user."""

    @expose("/")
    def index(self):
        actor = current_actor_or_none()
        if actor is None:
            login = self.appbuilder.sm.auth_view.endpoint + ".login"
            return redirect(url_for(login, next=request.full_path.rstrip("?")))
        engine = stageflow_engine()
        apps = current_menu()
        counts = {f"{a.name}.{e.name}": engine.records.count(actor, a.name, e.name)
                  for a in apps for e in a.entities}
        return self.render_template_string(INDEX, apps=apps, counts=counts,
                                           installed=len(engine.catalog.names()))

    def render_template_string(self, source: str, **kwargs):
        kwargs.update(base_template=self.appbuilder.base_template, appbuilder=self.appbuilder,
                      current_app=current_app)
        return render_template_string(source, **kwargs)
