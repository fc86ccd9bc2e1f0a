"""HTML reports: view-models (context), pure formatters (filters), charts (inline SVG) and rendering."""
