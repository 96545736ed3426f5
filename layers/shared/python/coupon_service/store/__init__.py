"""The only code that speaks DynamoDB: the table plumbing (`table`) and one module per aggregate, with
methods named for access patterns that turn refusals into domain errors."""
