"""National steering: read-only figures across communities, within the reader's scope.

The dashboards (national, regional, départemental), the exports of every list and the annual
report of a community read their figures here. This package sits above payments (it reads
communities, contracts, payments, indicators, crises and the SAS) and below the APIs and the
screens, which only present what it returns. It writes nothing.
"""
