"""The heads' analytics: funnel and losses, manager efficiency, payments plan and fact.

Each dashboard is a function `build(user, filters) -> Dashboard` in its own module; a
dashboard is a list of tables (columns, rows, an optional chart). One renderer draws
every dashboard as a page (server-side SVG bars beside the numbers), one writes it to
Excel and one serves it in the API, so the page, the file and the API can never show
different numbers.
"""
