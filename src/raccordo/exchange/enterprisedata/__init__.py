"""EnterpriseData exchange with 1C (BP 3.0, UT 11, UNF): per-node settings and numbering, the exchange service."""
