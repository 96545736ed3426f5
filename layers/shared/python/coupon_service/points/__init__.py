"""Points: a ledger per customer and programme (a merchant, or the platform), earned, spent, adjusted and
expired through `store.points`, each change once per its source (docs/decisions.md, "Points")."""
