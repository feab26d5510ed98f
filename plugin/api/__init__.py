"""HTTP layer: Starlette routes for the FHIR bases, inside a FastAPI application."""
