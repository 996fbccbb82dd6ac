"""CPTS Pilote: the information system of the CPTS and of the ACI CPTS that funds them."""

__version__ = "0.1.0"
