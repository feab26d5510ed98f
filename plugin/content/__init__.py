"""Content: loading FHIR terminology resources and indexing them for the operations."""
