"""The machine interfaces of CPTS Pilote: the FHIR API the SAS platform reads and books with
(``/fhir/``), bearer tokens only (:mod:`cpts.accounts.tokens`)."""
