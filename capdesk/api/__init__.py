"""Capillary API client: clusters, auth, identifiers, typed results and errors. No Qt here."""
