"""The law as read: rule files, the vocabulary of facts, the answer's declaration, citizen records."""
