"""Rendering of results for people: SVG charts (``charts``) and the PDF report (``pdf``).

Everything here draws plain data that the services computed (``consult.services.priorities``);
nothing here computes statistics or fetches anything from the network.
"""
