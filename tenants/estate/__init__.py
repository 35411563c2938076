"""The estate registry: communities → compounds → buildings → units, owners and residents."""
