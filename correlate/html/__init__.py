"""HTML rendering of report sections: pure formatters (filters), charts drawn from data (inline SVG), the
jinja2 environment, and PDF through headless Chromium. Nothing here computes a number."""
