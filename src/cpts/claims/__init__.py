"""Claims shaped like the SNDS, and the indicators computed on them (no Django here).

- ``schema``: the tables, columns and types we read and write;
- ``residence``: the INSEE code of a beneficiary's residence, rebuilt as the SNDS documents it.
"""
