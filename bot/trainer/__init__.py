"""The trainers' tools: the NLU training files, the data checks, the scaffold of a new
intent, and the messages the assistant missed. Plain Python: no Rasa here (the
evaluation that needs the model runs from scripts/)."""
