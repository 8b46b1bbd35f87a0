"""What may come in: upload limits, links, downloads and the URL safety guard."""
