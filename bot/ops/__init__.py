"""Operating banbot: metrics, health endpoints, question-gap recording."""
