"""Report templates shipped as package data (``jinja2.PackageLoader("reports", "templates")``)."""
