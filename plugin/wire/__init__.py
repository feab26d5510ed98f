"""Builders of FHIR JSON: Parameters, OperationOutcome, Bundle. Plain dicts, no models."""
