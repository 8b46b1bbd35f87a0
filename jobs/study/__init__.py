"""Study notes and questions over a lecture's transcript, plain Python: extractive notes, passages
for a question, and grounded answers from a language model when one is configured."""
