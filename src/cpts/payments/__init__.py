"""Payments: runs, ledger entries, corrections, balances and recoveries (above the contracts)."""
