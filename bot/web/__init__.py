"""The supervisors' web console (issue 18): server-rendered pages (Jinja2) with HTMX for
partial updates, behind a per-person login, each page limited to what the person's roles in
the directory allow."""
