"""FHIR R4 records flowing into the chart: reading files, mapping resources, importing them.

Resources are validated with fhir.resources' R4B models (FHIR 4.3.0): the package ships
R5 by default and no plain R4 (4.0.1); R4B is wire-compatible with R4 for the resources
imported here.
"""
